"""What a live call writes while its stream is open: each turn as it is said, and the heartbeat
that keeps the call from being swept as idle.

Writing stops the moment the call may no longer be recorded: it has ended (over HTTP, by the
idle sweep, on another process) or, for a voice call, the rep withdrew their voice-recording
consent. The recorder then raises ``RecordingStopped``, and the stream closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from pitchlab.db import Database, tenant_context
from pitchlab.models import PracticeSession
from pitchlab.models.values import Speaker, Turn
from pitchlab.practice import repository, service, turns

Turns = list[Turn]


class RecordingStopped(Exception):
    """The call may no longer be recorded: it ended, or its rep withdrew consent."""

    def __init__(self, *, consent_withdrawn: bool) -> None:
        super().__init__("voice_recording consent withdrawn" if consent_withdrawn
                         else "session ended")
        self.consent_withdrawn = consent_withdrawn


class TranscriptRecorder:
    def __init__(self, database: Database, row: PracticeSession, turns_so_far: Turns) -> None:
        self.database = database
        self.row = row
        self.context = tenant_context(row.company_id)
        self.turns = list(turns_so_far)
        self._lock = asyncio.Lock()

    def _now_ms(self) -> int:
        return int((datetime.now(UTC) - self.row.started_at).total_seconds() * 1000)

    async def rep_said(self, text: str) -> None:
        # typed (user_message) or transcribed (user_transcript): over by the time it arrives
        now = self._now_ms()
        await self._save(lambda said: turns.add_turn(said, Speaker.REP, text, now))

    async def prospect_said(self, text: str) -> None:
        now = self._now_ms()
        await self._save(lambda said: turns.add_turn(said, Speaker.PROSPECT, text, now))

    async def prospect_corrected(self, text: str) -> None:
        await self._save(lambda said: turns.apply_correction(said, text))

    async def heartbeat(self) -> None:
        """The call is alive; and a consent withdrawn through another process is noticed."""
        async with self.database.transaction(self.context) as session:
            live = await repository.touch(session, self.row.id)
            allowed = await service.recording_allowed(session, self.row)
        if not live:
            raise RecordingStopped(consent_withdrawn=False)
        if not allowed:
            raise RecordingStopped(consent_withdrawn=True)

    async def _save(self, change: Callable[[Turns], Turns]) -> None:
        # Each turn is stored at once: a crash mid-call keeps everything said so far. The
        # change is applied under the lock, so that turns queued behind a slow save all land.
        async with self._lock:
            new_turns = change(self.turns)
            self.turns = new_turns
            async with self.database.transaction(self.context) as session:
                # only while the call is live and, for voice, the rep still consents to being
                # recorded: an ended call's transcript is final, a withdrawal stops recording
                if await repository.save_live_turns(session, self.row.id, new_turns):
                    await repository.touch(session, self.row.id)
                    return
                allowed = await service.recording_allowed(session, self.row)
        raise RecordingStopped(consent_withdrawn=not allowed)
