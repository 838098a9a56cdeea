"""The streams this process is serving, so that ending a call closes its stream at once.

A stream on another process notices at its next heartbeat (the session is no longer in
progress) and closes then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

Closer = Callable[[int, str], Coroutine[Any, Any, None]]
CONSENT_WITHDRAWN = 4403  # the stream's close code for a voice call without recording consent


class LiveStreams:
    def __init__(self) -> None:
        self._closers: dict[UUID, Closer] = {}

    def register(self, session_id: UUID, closer: Closer) -> None:
        """One stream per call: a newer stream (a reconnect, a second tab) replaces the older,
        which is closed, so two streams never meter or write one transcript."""
        previous = self._closers.get(session_id)
        self._closers[session_id] = closer
        if previous is not None:
            asyncio.get_running_loop().create_task(previous(1000, "replaced by a newer stream"))

    def unregister(self, session_id: UUID, closer: Closer) -> None:
        # ==, not is: each access to a bound method (call.request_close) makes a new object
        if self._closers.get(session_id) == closer:
            del self._closers[session_id]

    def close(self, session_id: UUID, code: int = 1000, reason: str = "session ended") -> None:
        closer = self._closers.pop(session_id, None)
        if closer is not None:
            asyncio.get_running_loop().create_task(closer(code, reason))

    def __len__(self) -> int:
        return len(self._closers)
