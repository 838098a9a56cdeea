"""Logs, slow queries and traces: what an operator sees of a running Pitchlab.

``create_app`` calls ``install`` once, and ``observe_database`` from its lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from pitchlab.config import Settings
from pitchlab.observability import slow_queries, tracing
from pitchlab.observability.access import AccessLogMiddleware


def install(app: FastAPI, settings: Settings) -> None:
    """The access log (innermost of the request-id middleware, so its line has the id) and,
    when configured, tracing around everything."""
    app.add_middleware(AccessLogMiddleware)
    app.state.tracing = tracing.from_settings(settings)
    if app.state.tracing is not None:
        app.state.tracing.instrument_app(app)


@contextlib.asynccontextmanager
async def observe_database(
    app: FastAPI, engine: AsyncEngine, settings: Settings
) -> AsyncIterator[None]:
    """For the app's lifetime: slow queries logged, and (tracing on) a span per query and per
    outgoing HTTP call; the spans still batched are flushed at the end."""
    slow_queries.watch(engine, settings.slow_query_ms)
    traces: tracing.Tracing | None = app.state.tracing
    if traces is None:
        yield
        return
    traces.instrument_engine(engine)
    traces.instrument_httpx()
    traces.start()
    try:
        yield
    finally:
        # The flush waits on the collector: not on the event loop.
        await asyncio.to_thread(traces.shutdown)
