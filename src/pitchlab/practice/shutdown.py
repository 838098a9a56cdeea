"""Ending the calls this process streams when it is told to stop (SIGTERM).

A rolling restart must not leave calls hanging until the idle sweep (two minutes, and their
last minutes unbilled or billed late) nor cut them with uvicorn's bare 1012. So the shutdown
first stops taking new calls (``LiveStreams.draining``: ``start`` answers 503, a new stream is
refused with 1001), then for every call streamed here stops its stream (which closes with 1001
"server shutting down") and ends the call by the practice rules, as ``end`` does (the minutes
begun charged, the usage row written, the transcript closed, the feedback job queued in the same
transaction), and waits, up to the grace period, until each stream has said goodbye.

Calls held as HTTP text turns belong to no process: any other process serves their next turn,
and the idle sweep ends them if nobody does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from uuid import UUID

from pitchlab.config import Settings
from pitchlab.db import Database, system_context
from pitchlab.deps import LiveStreamRegistry
from pitchlab.models.values import EndReason, SessionStatus
from pitchlab.practice import repository, service
from pitchlab.practice.live import GOING_AWAY

log = logging.getLogger(__name__)
SHUTTING_DOWN = "server shutting down"


async def end_streamed_calls(
    database: Database, settings: Settings, live: LiveStreamRegistry, *, deadline: float
) -> int:
    """Refuse new calls, end the live ones streamed here and wait for their streams to close,
    until ``deadline`` (the event loop's clock). How many calls it ended."""
    live.draining = True
    loop = asyncio.get_running_loop()
    handled: set[UUID] = set()
    while len(live) and (remaining := deadline - loop.time()) > 0:
        # a stream admitted just before draining began registers late: it is ended too
        for session_id in live.session_ids():
            if session_id in handled:
                continue
            handled.add(session_id)
            # the stream first: a turn or a heartbeat written while the call ends would contend
            # for its rows (and could deadlock with the end); then the end, by the rules
            await live.stop(session_id, GOING_AWAY, SHUTTING_DOWN)
            await _end_call(database, settings, session_id)
        if not len(live):  # every stream said goodbye while its call was being ended
            break
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(remaining):
                await live.wait_for_change()  # no await between the check above and this
    if len(live):
        log.warning("shutdown: %d stream(s) still open after the grace period", len(live))
    log.info("shutdown: ended %d live call(s)", len(handled))
    return len(handled)


async def _end_call(database: Database, settings: Settings, session_id: UUID) -> None:
    """End one call as the practice rules do; a failure (the database down) is logged and the
    call left to the idle sweep, which bills it as of when it was last heard of."""
    try:
        async with database.transaction(system_context("server_shutdown")) as session:
            row = await repository.find_session(session, session_id, user_id=None,
                                                for_update=True)
            if row is not None:
                await service.end_session(session, settings, row,
                                          status=SessionStatus.COMPLETED,
                                          reason=EndReason.SERVER_SHUTDOWN)
    except Exception:
        log.exception("shutdown: could not end call %s; the idle sweep will", session_id)
