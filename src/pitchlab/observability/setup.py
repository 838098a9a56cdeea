"""Wiring the observability into an app: the access log, slow queries and traces.

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


def install(app: FastAPI, settings: Settings) -> tracing.Tracing | None:
    """The access log (innermost of the request-id middleware, so its line has the id) and,
    when configured, tracing around everything: the app's ``Tracing``, for its lifespan to
    hand to ``observe_database`` (the app's state holds the context only)."""
    app.add_middleware(AccessLogMiddleware)
    traces = tracing.from_settings(settings)
    if traces is not None:
        traces.instrument_app(app)
    return traces


@contextlib.asynccontextmanager
async def observe_database(
    traces: tracing.Tracing | None, engine: AsyncEngine, settings: Settings
) -> AsyncIterator[None]:
    """For the app's lifetime: slow queries logged, and (tracing on) a span per query and per
    outgoing HTTP call; the spans still batched are flushed at the end."""
    slow_queries.watch(engine, settings.slow_query_ms)
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
