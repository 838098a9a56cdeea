"""Graceful shutdown of ``pitchlab serve``: what SIGTERM (or Ctrl-C) does, in order.

uvicorn's own graceful shutdown stops listening at once and closes every WebSocket with a bare
1012, before the app hears of it; a live call would be cut mid-sentence and ended two minutes
later by the idle sweep. So the first signal starts a drain while the server still listens:

1. new calls are refused: ``POST /api/sessions/start`` answers 503 ``service_unavailable`` with
   ``Retry-After``, a new stream is closed with 1001 (``practice.live.LiveStreams.draining``);
2. each live call streamed here is ended by the practice rules (billed, transcript kept, feedback
   job queued) and its stream closed with 1001 "server shutting down" (``practice.shutdown``);
3. then uvicorn's shutdown proper: it stops listening, lets in-flight requests finish for what
   is left of ``PITCHLAB_SHUTDOWN_GRACE_SECONDS``, and runs the lifespan's shutdown, which stops
   the in-process worker (its running jobs finish; queued ones stay queued for the next worker).

A second signal skips what is left of the drain.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from types import FrameType

import uvicorn
from fastapi import FastAPI

from pitchlab.deps import AppContext
from pitchlab.practice.shutdown import end_streamed_calls

log = logging.getLogger(__name__)
# uvicorn's wait for in-flight requests, at least this long even when the drain used the grace
MIN_REQUEST_GRACE_SECONDS = 1


class GracefulServer(uvicorn.Server):
    """A uvicorn server whose first stop signal drains the app before uvicorn's shutdown."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, grace_seconds: float) -> None:
        super().__init__(config)
        self.app = app
        self.grace_seconds = grace_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A Python signal handler: it runs between two steps of the loop's own thread, so it
        # only schedules the drain (call_soon_threadsafe also wakes a loop waiting on I/O).
        if self._loop is None or self._drain is not None or self.should_exit:
            super().handle_exit(sig, frame)  # not serving yet, or a second signal: stop now
            return
        log.info("signal %d: refusing new calls, ending live calls (grace %.0f s)",
                 sig, self.grace_seconds)
        self._loop.call_soon_threadsafe(self._start_drain, sig)

    def _start_drain(self, sig: int) -> None:
        self._drain = asyncio.get_running_loop().create_task(self._drain_then_exit(sig))

    async def _drain_then_exit(self, sig: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.grace_seconds
        context: AppContext | None = getattr(self.app.state, "context", None)
        if context is not None:  # None: the lifespan has not started, nothing is live
            try:
                await end_streamed_calls(context.database, context.settings,
                                         context.live_streams, deadline=deadline)
            except Exception:
                log.exception("shutdown: ending the live calls failed")
        # what is left of the grace, for the requests still in flight
        self.config.timeout_graceful_shutdown = max(
            MIN_REQUEST_GRACE_SECONDS, round(deadline - loop.time())
        )
        super().handle_exit(sig, None)


def serve_until_stopped(
    app: FastAPI, config: uvicorn.Config, sock: socket.socket, grace_seconds: float
) -> None:
    """Run the server on ``sock`` until a stop signal has drained it (see the module's doc)."""
    config.timeout_graceful_shutdown = max(MIN_REQUEST_GRACE_SECONDS, round(grace_seconds))
    GracefulServer(config, app, grace_seconds).run(sockets=[sock])
