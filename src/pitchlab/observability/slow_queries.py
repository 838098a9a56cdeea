"""Queries slower than ``PITCHLAB_SLOW_QUERY_MS`` are logged with the route that ran them.

The statement's text only, truncated: its parameters (emails, hashes, transcript text) are
never logged.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from pitchlab.observability import context
from pitchlab.observability.logs import get_logger

log = get_logger("pitchlab.db.slow_query")
STATEMENT_CHARS = 500
_STARTED = "pitchlab_query_started"


def watch(engine: AsyncEngine, threshold_ms: float) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _started(conn: Any, *_: Any) -> None:
        conn.info.setdefault(_STARTED, []).append(time.perf_counter())

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _finished(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        started = conn.info[_STARTED].pop()
        duration_ms = (time.perf_counter() - started) * 1000
        if duration_ms >= threshold_ms:
            request = context.current()
            log.warning(
                "db.slow_query",
                duration_ms=round(duration_ms, 1),
                statement=" ".join(statement.split())[:STATEMENT_CHARS],
                route=request.route if request is not None else None,
            )

    # A failed statement has no after_cursor_execute: drop its start time.
    @event.listens_for(sync_engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        connection = exception_context.connection
        if connection is not None and connection.info.get(_STARTED):
            connection.info[_STARTED].pop()
