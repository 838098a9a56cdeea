"""The practice call's WebSocket: the ElevenLabs Conversational AI protocol towards the client,
a voice conversation (offline prospect or ElevenLabs relay) behind it, minutes metered while it
is open, and every turn written to the transcript as it happens.

Everything sent to the client goes through a bounded outbox that one writer drains, each send
with a timeout: a client that stops reading is cut off, and nothing else (least of all the
meter, which charges on the server's clock) ever waits on it.

Close codes: 1000 normal end, 4401 bad ticket or token, 4402 quota exhausted, 4403 voice without
a voice-recording consent (or the consent withdrawn mid-call), 4404 unknown (or not live, or not
yours) session, 1013 database unavailable (try again later), 1011 provider failure (the session
stays live, so it can be ended and is billed only for the minutes that really ran). A client that
has not read for ``stream_send_timeout_seconds`` gets no close frame (it would not read it): its
connection is dropped, and the call stays live until it is ended or swept.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from pitchlab.auth.dependencies import principal_from_token
from pitchlab.billing import service as billing
from pitchlab.billing.errors import QuotaExhausted
from pitchlab.db import Database, is_database_unavailable, system_context, tenant_context
from pitchlab.errors import AppError
from pitchlab.http.connection_abort import abort_connection
from pitchlab.models import PracticeSession, User
from pitchlab.practice import repository, service, turns
from pitchlab.practice.live import CONSENT_WITHDRAWN
from pitchlab.practice.scenarios import get_scenario
from pitchlab.practice.schemas import ContextualUpdate, TextTurn
from pitchlab.providers.voice import OfflineVoiceProvider, ProviderFailure, VoiceConversation

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_NORMAL, CLOSE_PROVIDER, CLOSE_TRY_AGAIN = 1000, 1011, 1013
CLOSE_STALLED = 1008  # recorded only: the connection of a client that stopped reading is dropped
CLOSE_UNAUTHORIZED, CLOSE_QUOTA, CLOSE_UNKNOWN = 4401, 4402, 4404
CLOSE_CONSENT = CONSENT_WITHDRAWN  # 4403, also used when a withdrawal closes a live call
FIRST_MESSAGE_TIMEOUT = 10.0
# Messages waiting for the client. The meter's status updates are dropped rather than wait for
# room; the provider's messages wait (so a slow client slows its provider), up to the timeout.
OUTBOX_MESSAGES = 64
# Client messages whose text is held to the rules of the HTTP request bodies.
CHECKED_TEXT = {"user_message": TextTurn, "contextual_update": ContextualUpdate}


class StreamClosed(Exception):
    def __init__(self, code: int, reason: str, last_words: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.code, self.reason, self.last_words = code, reason, last_words


# --- who is on the line -----------------------------------------------------------------------

async def _authenticate(websocket: WebSocket, session_id: UUID) -> User | None:
    app = websocket.app
    database: Database = app.state.database
    ticket = websocket.query_params.get("ticket")
    if ticket:
        async with database.transaction(system_context("stream_ticket")) as session:
            user_id = await service.spend_ticket(session, ticket, session_id)
            user = await session.get(User, user_id) if user_id else None
    else:
        user = await _user_from_bearer(websocket, database)
    if user is None or user.disabled_at is not None:
        return None
    return user


async def _user_from_bearer(websocket: WebSocket, database: Database) -> User | None:
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    # The HTTP API's own check, so the stream can never accept a token the API refuses.
    async with database.transaction() as session:
        try:
            principal = await principal_from_token(session, websocket.app.state.settings, token)
        except AppError:
            return None
    return principal.user


# --- the transcript, written as it grows --------------------------------------------------------

class TranscriptRecorder:
    def __init__(self, database: Database, row: PracticeSession, turns_so_far: list[dict]) -> None:
        self.database = database
        self.row = row
        self.turns = list(turns_so_far)
        self._lock = asyncio.Lock()

    def _now_ms(self) -> int:
        return int((datetime.now(UTC) - self.row.started_at).total_seconds() * 1000)

    async def rep_said(self, text: str) -> None:
        # typed (user_message) or transcribed (user_transcript): over by the time it arrives
        now = self._now_ms()
        await self._save(lambda said: turns.add_turn(said, "rep", text, now))

    async def prospect_said(self, text: str) -> None:
        now = self._now_ms()
        await self._save(lambda said: turns.add_turn(said, "prospect", text, now))

    async def prospect_corrected(self, text: str) -> None:
        await self._save(lambda said: turns.apply_correction(said, text))

    async def _save(self, change: Callable[[list[dict]], list[dict]]) -> None:
        # Each turn is stored at once: a crash mid-call keeps everything said so far. The
        # change is applied under the lock, so that turns queued behind a slow save all land.
        async with self._lock:
            new_turns = change(self.turns)
            self.turns = new_turns
            async with self.database.transaction(tenant_context(self.row.company_id)) as session:
                # only while the call is live and, for voice, the rep still consents to being
                # recorded: an ended call's transcript is final, a withdrawal stops recording
                if await repository.save_live_turns(session, self.row.id, new_turns):
                    await repository.touch(session, self.row.id)
                    return
                consented = await _still_consents(session, self.row)
        if not consented:
            raise StreamClosed(CLOSE_CONSENT, "voice_recording consent withdrawn")
        raise StreamClosed(CLOSE_NORMAL, "session ended")


async def _still_consents(session, row: PracticeSession) -> bool:
    """A text call needs no consent; a voice call needs the latest voice_recording one granted."""
    return row.mode != "voice" or await repository.latest_consent(
        session, row.user_id, "voice_recording"
    )


# --- the call ---------------------------------------------------------------------------------

class StreamSession:
    def __init__(self, websocket: WebSocket, row: PracticeSession, conversation: VoiceConversation,
                 recorder: TranscriptRecorder) -> None:
        self.websocket = websocket
        self.app = websocket.app
        self.settings = self.app.state.settings
        self.database: Database = self.app.state.database
        self.row = row
        self.conversation = conversation
        self.recorder = recorder
        self.minutes_billed = row.minutes_billed
        self.send_timeout: float = self.settings.stream_send_timeout_seconds
        self._outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTBOX_MESSAGES)
        self._closing: StreamClosed | None = None
        self._tasks: list[asyncio.Task] = []

    # --- towards the client ---

    async def send(self, message: dict[str, Any] | str) -> None:
        """Queue a message for the client, waiting for room at most the send timeout."""
        text = message if isinstance(message, str) else json.dumps(message)
        try:
            async with asyncio.timeout(self.send_timeout):
                await self._outbox.put(text)
        except TimeoutError:
            raise self._cut_off() from None

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message that a later one supersedes (a status update) without ever waiting:
        when the outbox is full the client is not reading, and the writer is about to cut it off."""
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait(json.dumps(message))

    async def _write(self) -> None:
        """The one writer: the server frames and writes each message whole, in queue order."""
        while True:
            await self._deliver(await self._outbox.get())

    async def _deliver(self, text: str) -> None:
        try:
            async with asyncio.timeout(self.send_timeout):
                await self.websocket.send_text(text)
        except TimeoutError:
            raise self._cut_off() from None

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
        """From outside (the call was ended over HTTP, consent withdrawn, a newer stream):
        stop everything and close."""
        self._closing = StreamClosed(code, reason)
        for task in self._tasks:
            task.cancel()

    async def run(self) -> int:
        self._spawn(self._write(), "stream-writer")
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
        if outcome.code != CLOSE_NORMAL:
            log.info("stream %s closing with %s: %s", self.row.id, outcome.code, outcome.reason)
        await self._say_goodbye(outcome)
        return outcome.code

    def _spawn(self, work, name: str) -> asyncio.Task:
        task = asyncio.create_task(work, name=name)
        self._tasks.append(task)
        return task

    async def _first_done(self) -> set[asyncio.Task]:
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        return done

    def _outcome(self, done: set[asyncio.Task]) -> StreamClosed:
        for task in done:
            if task.cancelled():
                continue
            error = task.exception()
            if isinstance(error, StreamClosed):
                return error
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
            raw = await asyncio.wait_for(_receive_text(self.websocket), FIRST_MESSAGE_TIMEOUT)
        except TimeoutError:
            raw = None
        first, problem = None, None
        if raw is not None:
            try:
                first = _parse(raw)
            except InvalidFrame as invalid:
                problem = str(invalid)
        initiation = first if first and first.get("type") == "conversation_initiation_client_data" else {}
        try:
            metadata = await self.conversation.start(initiation)
        except ProviderFailure as failure:
            await self._tell_error(str(failure))
            raise StreamClosed(CLOSE_PROVIDER, str(failure)) from None
        await self.send({"type": "conversation_initiation_metadata",
                         "conversation_initiation_metadata_event": metadata})
        await self.send(await self._status())
        if problem is not None:
            await self._refuse(problem)
        elif raw is not None and not initiation:
            await self._handle_client(raw, first)

    async def _from_client(self) -> None:
        while True:
            raw = await _receive_text(self.websocket)
            if raw.startswith('{"user_audio_chunk"') and '"type"' not in raw:
                await self.conversation.send(None, raw)  # audio: never parsed on the hot path
                continue
            try:
                message = _parse(raw)
            except InvalidFrame as invalid:
                await self._refuse(str(invalid))
                continue
            await self._handle_client(raw, message)

    async def _handle_client(self, raw: str, message: dict[str, Any] | None) -> None:
        if message is not None and "user_audio_chunk" in message and "type" not in message:
            message = None  # audio written with other spacing than the SDKs use
        if message is None:  # audio: straight through
            await self.conversation.send(None, raw)
            return
        kind = message.get("type")
        if kind in CHECKED_TEXT:
            try:
                CHECKED_TEXT[kind].model_validate({"text": message.get("text")})
            except ValidationError as invalid:
                await self._refuse(f"{kind} text: {invalid.errors()[0]['msg']}")
                return
        if kind == "user_message":
            await self.recorder.rep_said(message["text"].strip())
        if kind in ("pong",):
            return  # our own keepalive answers the provider's pings
        await self.conversation.send(message, raw)

    async def _refuse(self, reason: str) -> None:
        """A client message we will not act on: say why; the call goes on."""
        await self.send({"type": "error", "error_event": {
            "code": 1008, "error_type": "invalid_message", "message": reason}})

    async def _from_provider(self) -> None:
        async for event in self.conversation.events():
            if isinstance(event, dict):
                await self._record(event)
            await self.send(event)

    async def _record(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "agent_response":
            await self.recorder.prospect_said(event["agent_response_event"]["agent_response"])
        elif kind == "agent_response_correction":
            corrected = event["agent_response_correction_event"]["corrected_agent_response"]
            await self.recorder.prospect_corrected(corrected)
        elif kind == "user_transcript":
            text = event["user_transcription_event"]["user_transcript"].strip()
            if text:
                await self.recorder.rep_said(text)

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
                await self._heartbeat()

    async def _charge_next_minute(self) -> None:
        minute = self.minutes_billed + 1
        try:
            async with self.database.transaction(tenant_context(self.row.company_id)) as session:
                charged = await billing.charge_minute(session, self.row.id, minute)
        except QuotaExhausted:
            self.offer({**service.status_message(self.row, 0),
                        "minutes_billed": self.minutes_billed})
            raise StreamClosed(CLOSE_QUOTA, "quota exhausted") from None
        if not charged:
            raise StreamClosed(CLOSE_NORMAL, "session ended")
        self.minutes_billed = minute
        self.offer(await self._status())

    async def _heartbeat(self) -> None:
        """The session is alive; and a consent withdrawn through another process is noticed."""
        async with self.database.transaction(tenant_context(self.row.company_id)) as session:
            live = await repository.touch(session, self.row.id)
            consented = await _still_consents(session, self.row)
        if not live:
            raise StreamClosed(CLOSE_NORMAL, "session ended")
        if not consented:
            raise StreamClosed(CLOSE_CONSENT, "voice_recording consent withdrawn")

    async def _status(self) -> dict[str, Any]:
        async with self.database.transaction(tenant_context(self.row.company_id)) as session:
            remaining = await billing.minutes_remaining(
                session, self.row.company_id, self.row.user_id
            )
        self.row.minutes_billed = self.minutes_billed
        return service.status_message(self.row, remaining)

    async def _tell_error(self, message: str) -> None:
        with contextlib.suppress(Exception):
            await self.send({"type": "error", "error_event": {
                "code": CLOSE_PROVIDER, "error_type": "provider_failure", "message": message}})


def _succeeded(task: asyncio.Task) -> bool:
    return not task.cancelled() and task.exception() is None


class InvalidFrame(ValueError):
    """A client frame that is not a JSON object we can read."""


async def _receive_text(websocket: WebSocket) -> str:
    """The next frame as text; the protocol is JSON text, but a binary frame is read as UTF-8
    rather than breaking the call."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is not None:
        return message["text"]
    return (message.get("bytes") or b"").decode("utf-8", "replace")


def _parse(raw: str) -> dict[str, Any]:
    try:
        message = json.loads(raw)
    except RecursionError:  # "[[[[..." deeper than the parser goes
        raise InvalidFrame("the frame is nested too deeply") from None
    except ValueError:
        raise InvalidFrame("the frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise InvalidFrame("the frame is not a JSON object")
    return message


@router.websocket("/api/sessions/{session_id}/stream")
async def stream(websocket: WebSocket, session_id: str) -> None:
    # The JS SDK asks for the "convai" subprotocol; a browser drops us unless we pick it.
    offered = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol="convai" if "convai" in offered else None)
    try:
        sid = UUID(session_id)
    except ValueError:
        await websocket.close(CLOSE_UNKNOWN, "unknown session")
        return
    try:
        await _serve(websocket, sid)
    except Exception as error:
        # the ticket, the user or the session could not be read: come back later
        if not is_database_unavailable(error):
            raise
        log.warning("stream %s: database unavailable (%s)", sid, type(error).__name__)
        with contextlib.suppress(Exception):
            await websocket.close(CLOSE_TRY_AGAIN, "database unavailable")


async def _admit(database: Database, settings, user: User, session_id: UUID):
    """The live session and its transcript, in one transaction; a client reconnecting late pays
    for the minutes that began meanwhile. Raises StreamClosed with the code that refuses it."""
    async with database.transaction(tenant_context(user.company_id)) as session:
        row = await repository.find_session(session, session_id, user_id=user.id, for_update=True)
        if row is None or row.status != "in_progress":
            raise StreamClosed(CLOSE_UNKNOWN, "unknown session")
        # consent may have been withdrawn since the call started
        if not await _still_consents(session, row):
            raise StreamClosed(CLOSE_CONSENT, "voice_recording consent required")
        transcript = await repository.transcript_of(session, session_id)
        try:
            await service.charge_due_minutes(session, settings, row)
        except QuotaExhausted:
            raise StreamClosed(CLOSE_QUOTA, "quota exhausted",
                               service.status_message(row, 0)) from None
        return row, (list(transcript.turns) if transcript else [])


async def _serve(websocket: WebSocket, session_id: UUID) -> None:
    app = websocket.app
    database: Database = app.state.database
    user = await _authenticate(websocket, session_id)
    if user is None:
        await websocket.close(CLOSE_UNAUTHORIZED, "invalid or expired ticket")
        return
    try:
        row, turns_so_far = await _admit(database, app.state.settings, user, session_id)
    except StreamClosed as refused:
        if refused.last_words:
            await websocket.send_text(json.dumps(refused.last_words))
        await websocket.close(refused.code, refused.reason)
        return
    # A text call never reaches the voice vendor: it talks to the offline prospect.
    voice = app.state.providers.voice if row.mode == "voice" else OfflineVoiceProvider()
    conversation = voice.open(
        scenario=get_scenario(row.scenario_id), session_id=row.id,
        rep_lines_so_far=turns.rep_lines(turns_so_far), user=user,
    )
    call = StreamSession(websocket, row, conversation, TranscriptRecorder(database, row, turns_so_far))
    app.state.live_streams.register(row.id, call.request_close)
    try:
        await call.run()
    finally:
        app.state.live_streams.unregister(row.id, call.request_close)
