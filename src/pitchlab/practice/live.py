"""The streams this process is serving, so that ending a call closes its stream at once.

A stream on another process notices at its next heartbeat (the session is no longer in
progress) and closes then. While the process shuts down (``draining``) it takes no new stream,
and the shutdown waits here until every stream it asked to close has said goodbye.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

Closer = Callable[[int, str], Coroutine[Any, Any, None]]
CONSENT_WITHDRAWN = 4403  # the stream's close code for a voice call without recording consent
GOING_AWAY = 1001  # the server is shutting down: the client may reconnect elsewhere, later


class LiveStreams:
    def __init__(self) -> None:
        self._closers: dict[UUID, Closer] = {}
        self.draining = False  # set once, by the shutdown: no new stream, no new call
        self._changed = asyncio.Event()  # a stream came or went

    def register(self, session_id: UUID, closer: Closer) -> None:
        """One stream per call: a newer stream (a reconnect, a second tab) replaces the older,
        which is closed, so two streams never meter or write one transcript."""
        previous = self._closers.get(session_id)
        self._closers[session_id] = closer
        self._changed.set()
        if previous is not None:
            asyncio.get_running_loop().create_task(previous(1000, "replaced by a newer stream"))

    def unregister(self, session_id: UUID, closer: Closer) -> None:
        # ==, not is: each access to a bound method (call.request_close) makes a new object
        if self._closers.get(session_id) == closer:
            del self._closers[session_id]
            self._changed.set()

    def close(self, session_id: UUID, code: int = 1000, reason: str = "session ended") -> None:
        closer = self._closers.pop(session_id, None)
        if closer is not None:
            asyncio.get_running_loop().create_task(closer(code, reason))

    def __len__(self) -> int:
        return len(self._closers)

    # --- shutting down ---

    def session_ids(self) -> list[UUID]:
        return list(self._closers)

    async def stop(self, session_id: UUID, code: int, reason: str) -> None:
        """Stop the stream's work (no more turns recorded, no minute charged) and have it close
        with ``code``. Unlike ``close``, it stays registered until it has sent its close frame
        (``unregister``), so that ``wait_for_change`` tells when it really is gone."""
        closer = self._closers.get(session_id)
        if closer is not None:
            await closer(code, reason)

    async def wait_for_change(self) -> None:
        """Until a stream comes or goes (after this call began)."""
        self._changed.clear()
        await self._changed.wait()
