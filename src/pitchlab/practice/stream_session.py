"""One admitted practice call on its WebSocket: the transport loop.

The client's frames go to the voice conversation (offline prospect or ElevenLabs relay) and its
messages come back, in the ElevenLabs Conversational AI protocol (providers/elevenlabs_protocol.py);
minutes are metered while the stream is open, and every turn is recorded as it is said
(recorder.py). Each of these is a task; the first to end ends the call, with the close code its
ending calls for.

Everything sent to the client goes through a bounded outbox that one writer drains, each write
watched against a timeout: a client that stops reading is cut off, and nothing else (least of
all the meter, which charges on the server's clock) ever waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ValidationError

from pitchlab.billing import service as billing
from pitchlab.billing.errors import QuotaExhausted
from pitchlab.config import Settings
from pitchlab.db import Database, is_database_unavailable, tenant_context
from pitchlab.deps import context_of
from pitchlab.http.connection_abort import abort_connection
from pitchlab.models import PracticeSession
from pitchlab.observability.logs import get_logger
from pitchlab.practice import service
from pitchlab.practice.live import CONSENT_WITHDRAWN
from pitchlab.practice.recorder import RecordingStopped, TranscriptRecorder
from pitchlab.practice.schemas import ContextualUpdate, TextTurn
from pitchlab.providers import elevenlabs_protocol as protocol
from pitchlab.providers.voice import ProviderFailure, VoiceConversation

log = logging.getLogger(__name__)
event_log = get_logger(__name__)

CLOSE_NORMAL, CLOSE_PROVIDER, CLOSE_TRY_AGAIN = 1000, 1011, 1013
CLOSE_STALLED = 1008  # recorded only: the connection of a client that stopped reading is dropped
CLOSE_UNAUTHORIZED, CLOSE_QUOTA, CLOSE_UNKNOWN = 4401, 4402, 4404
CLOSE_CONSENT = CONSENT_WITHDRAWN  # 4403, also used when a withdrawal closes a live call
FIRST_MESSAGE_TIMEOUT = 10.0
# Messages waiting for the client. The meter's status updates are dropped rather than wait for
# room; the provider's messages wait (so a slow client slows its provider), up to the timeout.
OUTBOX_MESSAGES = 64
# Client messages whose text is held to the rules of the HTTP request bodies.
CHECKED_TEXT: dict[str, type[BaseModel]] = {
    protocol.USER_MESSAGE: TextTurn, protocol.CONTEXTUAL_UPDATE: ContextualUpdate,
}


class StreamClosed(Exception):
    """How a stream ends: its close code and reason, and for a refusal at admission a last
    message for the client (the status that says why)."""

    def __init__(self, code: int, reason: str,
                 last_words: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.last_words = code, reason, last_words


class StreamSession:
    def __init__(self, websocket: WebSocket, row: PracticeSession, conversation: VoiceConversation,
                 recorder: TranscriptRecorder, *, minutes_remaining: int | None = None) -> None:
        self.websocket = websocket
        self.settings: Settings = context_of(websocket).settings
        self.database: Database = context_of(websocket).database
        self.row = row
        self.conversation = conversation
        self.recorder = recorder
        self.minutes_billed = row.minutes_billed
        # as read at admission: the first status needs no transaction of its own
        self._admitted_remaining = minutes_remaining
        self.send_timeout: float = self.settings.stream_send_timeout_seconds
        self._outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTBOX_MESSAGES)
        self._closing: StreamClosed | None = None
        self._writing_since: float | None = None  # loop time the write under way began
        self._tasks: list[asyncio.Task[None]] = []

    # --- towards the client ---

    async def send(self, message: Mapping[str, Any] | str) -> None:
        """Queue a message for the client, waiting for room at most the send timeout."""
        text = message if isinstance(message, str) else protocol.encode(message)
        with contextlib.suppress(asyncio.QueueFull):
            # Almost always there is room: no timer to arm and cancel for each audio frame.
            self._outbox.put_nowait(text)
            return
        try:
            async with asyncio.timeout(self.send_timeout):
                await self._outbox.put(text)
        except TimeoutError:
            raise self._cut_off() from None

    def offer(self, message: Mapping[str, Any]) -> None:
        """Queue a message that a later one supersedes (a status update) without ever waiting:
        when the outbox is full the client is not reading, and the writer is about to cut it off."""
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(protocol.encode(message))

    async def _write(self) -> None:
        """The one writer: the server frames and writes each message whole, in queue order.
        How long a write may take is watched by ``_watch_writes``, not by a timer per message
        (arming and cancelling one was a tenth of the relay's Python work per audio frame)."""
        loop = asyncio.get_running_loop()
        while True:
            text = await self._outbox.get()
            self._writing_since = loop.time()
            await self.websocket.send_text(text)
            self._writing_since = None

    async def _watch_writes(self) -> None:
        """Cut the client off once one write has waited for it longer than the send timeout.
        Looked at every quarter of the timeout: a stalled client goes within 1.25 of it."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.send_timeout / 4)
            began = self._writing_since
            if began is not None and loop.time() - began >= self.send_timeout:
                raise self._cut_off()

    def _cut_off(self) -> StreamClosed:
        """The client has taken nothing for the send timeout: drop its connection (a close frame
        would queue behind what it does not read). The call itself stays live."""
        abort_connection(self.websocket)
        return StreamClosed(CLOSE_STALLED, "client stopped reading")

    async def _say_goodbye(self, outcome: StreamClosed) -> None:
        """What is still queued (a last status, an error), then the close frame, all within the
        send timeout; a client that does not take them is dropped."""
        if outcome.code == CLOSE_STALLED:
            return
        try:
            async with asyncio.timeout(self.send_timeout):
                with contextlib.suppress(Exception):  # the client left already
                    while not self._outbox.empty():
                        await self.websocket.send_text(self._outbox.get_nowait())
                    await self.websocket.close(outcome.code, outcome.reason[:120])
        except TimeoutError:
            abort_connection(self.websocket)

    # --- the call ---

    async def request_close(self, code: int, reason: str) -> None:
        """From outside (the call was ended over HTTP, consent withdrawn, a newer stream, the
        server shutting down): stop everything and close. Returns once the call's work has
        stopped (nothing more is recorded or charged); the close frame follows from ``run``."""
        self._closing = StreamClosed(code, reason)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run(self) -> int:
        started = time.monotonic()
        self._log_event("stream.started", minutes=self.minutes_billed)
        self._spawn(self._write(), "stream-writer")
        self._spawn(self._watch_writes(), "stream-write-watch")
        handshake = self._spawn(self._handshake(), "stream-handshake")
        try:
            done = await self._first_done()
            if done == {handshake} and _succeeded(handshake) and self._closing is None:
                self._tasks.remove(handshake)
                self._spawn(self._from_client(), "stream-client")
                self._spawn(self._from_provider(), "stream-provider")
                self._spawn(self._meter(), "stream-meter")
                done = await self._first_done()
            outcome = self._closing or self._outcome(done)
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.conversation.close()
        self._log_event("stream.ended", duration_s=round(time.monotonic() - started, 3),
                        minutes=self.minutes_billed, close_code=outcome.code,
                        reason=outcome.reason)
        await self._say_goodbye(outcome)
        return outcome.code

    def _log_event(self, name: str, **fields: Any) -> None:
        # Ids and counts only: what was said stays in the transcript.
        event_log.info(name, session_id=str(self.row.id), mode=str(self.row.mode),
                       user_id=str(self.row.user_id), company_id=str(self.row.company_id),
                       **fields)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.append(task)
        return task

    async def _first_done(self) -> set[asyncio.Task[None]]:
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        return done

    def _outcome(self, done: set[asyncio.Task[None]]) -> StreamClosed:
        for task in done:
            if task.cancelled():
                continue
            error = task.exception()
            if isinstance(error, StreamClosed):
                return error
            if isinstance(error, RecordingStopped):
                code = CLOSE_CONSENT if error.consent_withdrawn else CLOSE_NORMAL
                return StreamClosed(code, str(error))
            if isinstance(error, WebSocketDisconnect):
                return StreamClosed(CLOSE_NORMAL, "client left")
            if isinstance(error, ProviderFailure):
                return StreamClosed(CLOSE_PROVIDER, str(error))
            if error is not None and is_database_unavailable(error):
                log.warning("stream %s: database unavailable (%s)", self.row.id,
                            type(error).__name__)
                return StreamClosed(CLOSE_TRY_AGAIN, "database unavailable")
            if error is not None:
                log.error("stream %s failed", self.row.id, exc_info=error)
                return StreamClosed(CLOSE_PROVIDER, "internal error")
        return StreamClosed(CLOSE_NORMAL, "conversation ended")

    async def _handshake(self) -> None:
        """The client speaks first (conversation_initiation_client_data); we answer with exactly
        one metadata message. A client that sends something else first still gets metadata."""
        try:
            raw = await asyncio.wait_for(receive_text(self.websocket), FIRST_MESSAGE_TIMEOUT)
        except TimeoutError:
            raw = None
        first, problem = None, None
        if raw is not None:
            try:
                first = protocol.parse_client_frame(raw)
            except protocol.InvalidFrame as invalid:
                problem = str(invalid)
        initiation = protocol.initiation_of(first)
        try:
            metadata = await self.conversation.start(initiation)
        except ProviderFailure as failure:
            await self._tell_error(str(failure))
            raise StreamClosed(CLOSE_PROVIDER, str(failure)) from None
        await self.send(protocol.initiation_metadata(metadata))
        await self.send(self._status_of(self._admitted_remaining)
                        if self._admitted_remaining is not None else await self._status())
        if problem is not None:
            await self._refuse(problem)
        elif raw is not None and not initiation:
            await self._handle_client(raw, first)

    async def _from_client(self) -> None:
        while True:
            raw = await receive_text(self.websocket)
            if protocol.looks_like_audio(raw):
                await self.conversation.send(None, raw)  # audio: never parsed on the hot path
                continue
            try:
                message = protocol.parse_client_frame(raw)
            except protocol.InvalidFrame as invalid:
                await self._refuse(str(invalid))
                continue
            await self._handle_client(raw, message)

    async def _handle_client(self, raw: str, message: protocol.Message | None) -> None:
        if message is None or protocol.is_audio(message):
            # audio (written with other spacing than the SDKs use): straight through
            await self.conversation.send(None, raw)
            return
        kind = protocol.kind(message)
        if kind in CHECKED_TEXT:
            try:
                CHECKED_TEXT[kind].model_validate({"text": protocol.text_of(message)})
            except ValidationError as invalid:
                await self._refuse(f"{kind} text: {invalid.errors()[0]['msg']}")
                return
        if kind == protocol.USER_MESSAGE:
            await self.recorder.rep_said(protocol.text_of(message).strip())
        if kind == protocol.PONG:
            return  # our own keepalive answers the provider's pings
        await self.conversation.send(message, raw)

    async def _refuse(self, reason: str) -> None:
        """A client message we will not act on: say why; the call goes on."""
        await self.send(protocol.invalid_message(reason))

    async def _from_provider(self) -> None:
        async for event in self.conversation.events():
            if not isinstance(event, str):
                await self._record(event)
            await self.send(event)

    async def _record(self, event: Mapping[str, Any]) -> None:
        if (said := protocol.agent_response_in(event)) is not None:
            await self.recorder.prospect_said(said)
        elif (corrected := protocol.correction_in(event)) is not None:
            await self.recorder.prospect_corrected(corrected)
        elif (heard := protocol.user_transcript_in(event)) is not None and heard.strip():
            await self.recorder.rep_said(heard.strip())

    async def _meter(self) -> None:
        """Charge each minute as it begins, on the server's clock, and keep the session's
        heartbeat fresh. Nothing here waits for the client: status updates are only offered."""
        period = self.settings.billing_minute_seconds
        heartbeat = min(20.0, self.settings.session_idle_timeout_seconds / 4)
        started = self.row.started_at.timestamp()
        while True:
            due_at = started + self.minutes_billed * period  # when the next minute begins
            wait = min(heartbeat, due_at - time.time())
            if wait > 0:
                await asyncio.sleep(wait)
            if time.time() >= due_at:
                await self._charge_next_minute()
            else:
                await self.recorder.heartbeat()

    async def _charge_next_minute(self) -> None:
        minute = self.minutes_billed + 1
        try:
            async with self.database.transaction(tenant_context(self.row.company_id)) as session:
                charged = await billing.charge_minute(session, self.row.id, minute)
        except QuotaExhausted:
            self.offer(self._status_of(0))
            raise StreamClosed(CLOSE_QUOTA, "quota exhausted") from None
        if not charged:
            raise StreamClosed(CLOSE_NORMAL, "session ended")
        self.minutes_billed = minute
        self.offer(await self._status())

    async def _status(self) -> protocol.SessionStatus:
        async with self.database.transaction(tenant_context(self.row.company_id)) as session:
            remaining = await billing.minutes_remaining(
                session, self.row.company_id, self.row.user_id)
        return self._status_of(remaining)

    def _status_of(self, minutes_remaining: int) -> protocol.SessionStatus:
        self.row.minutes_billed = self.minutes_billed
        return service.status_message(self.row, minutes_remaining)

    async def _tell_error(self, message: str) -> None:
        with contextlib.suppress(Exception):
            await self.send(protocol.provider_failure(message))


def _succeeded(task: asyncio.Task[None]) -> bool:
    return not task.cancelled() and task.exception() is None


async def receive_text(websocket: WebSocket) -> str:
    """The next frame as text; the protocol is JSON text, but a binary frame is read as UTF-8
    rather than breaking the call."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is not None:
        text: str = message["text"]
        return text
    return bytes(message.get("bytes") or b"").decode("utf-8", "replace")
