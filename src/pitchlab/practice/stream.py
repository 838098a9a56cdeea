"""The practice call's WebSocket: the ElevenLabs Conversational AI protocol towards the client,
a voice conversation (offline prospect or ElevenLabs relay) behind it, minutes metered while it
is open, and every turn written to the transcript as it happens.

Close codes: 1000 normal end, 4401 bad ticket or token, 4402 quota exhausted, 4403 voice without
a voice-recording consent, 4404 unknown (or not live, or not yours) session, 1011 provider failure (the session stays live, so it can be
ended and is billed only for the minutes that really ran).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import select, update

from pitchlab.auth.dependencies import context_for, token_still_valid
from pitchlab.billing import metering
from pitchlab.db import Database, system_context, tenant_context
from pitchlab.errors import AppError
from pitchlab.models import PracticeSession, Transcript, User
from pitchlab.practice import repository, service, turns
from pitchlab.practice.scenarios import get_scenario
from pitchlab.providers.voice import OfflineVoiceProvider, ProviderFailure, VoiceConversation
from pitchlab.security.tokens import InvalidToken, decode_access_token

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_NORMAL, CLOSE_PROVIDER = 1000, 1011
CLOSE_UNAUTHORIZED, CLOSE_QUOTA, CLOSE_CONSENT, CLOSE_UNKNOWN = 4401, 4402, 4403, 4404
MAX_TURN_CHARS = 4000  # as for text turns over HTTP
FIRST_MESSAGE_TIMEOUT = 10.0


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
    secret = websocket.app.state.settings.jwt_secret.get_secret_value()
    try:
        claims = decode_access_token(secret, token)
    except InvalidToken:
        return None
    async with database.transaction(context_for(claims)) as session:
        user = await session.get(User, claims.user_id)
    if user is None or not token_still_valid(user, claims):
        return None
    return user


# --- the transcript, written as it grows --------------------------------------------------------

class TranscriptRecorder:
    def __init__(self, database: Database, row: PracticeSession, turns_so_far: list[dict]) -> None:
        self.database = database
        self.row = row
        self.turns = list(turns_so_far)
        self._lock = asyncio.Lock()

    def _now_ms(self) -> int:
        return int((datetime.now(UTC) - self.row.started_at).total_seconds() * 1000)

    async def rep_said(self, text: str, *, already_spoken: bool = False) -> None:
        now = self._now_ms()
        start = now - turns.spoken_ms(text) if already_spoken else now
        await self._save([*self.turns, turns.next_turn(self.turns, "rep", text, max(0, start))])

    async def prospect_said(self, text: str) -> None:
        await self._save([*self.turns, turns.next_turn(self.turns, "prospect", text, self._now_ms())])

    async def prospect_corrected(self, text: str) -> None:
        await self._save(turns.apply_correction(self.turns, text))

    async def _save(self, new_turns: list[dict]) -> None:
        # Each turn is stored at once: a crash mid-call keeps everything said so far.
        async with self._lock:
            self.turns = new_turns
            async with self.database.transaction(tenant_context(self.row.company_id)) as session:
                # only while the call is live: an ended call's transcript is final
                await session.execute(
                    update(Transcript)
                    .where(Transcript.session_id == self.row.id,
                           select(PracticeSession.id)
                           .where(PracticeSession.id == self.row.id,
                                  PracticeSession.status == "in_progress")
                           .exists())
                    .values(turns=new_turns)
                )
                await repository.touch(session, self.row.id)


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
        self._closing: StreamClosed | None = None
        self._tasks: list[asyncio.Task] = []

    async def send(self, message: dict[str, Any] | str) -> None:
        # No lock: the server frames and writes each message synchronously, so messages from the
        # provider, the meter and the handshake can never interleave on the wire.
        await self.websocket.send_text(message if isinstance(message, str) else json.dumps(message))

    async def request_close(self, code: int, reason: str) -> None:
        """From outside (the call was ended over HTTP): stop everything and close."""
        self._closing = StreamClosed(code, reason)
        for task in self._tasks:
            task.cancel()

    async def run(self) -> int:
        try:
            await self._handshake()
            self._tasks = [
                asyncio.create_task(self._from_client(), name="stream-client"),
                asyncio.create_task(self._from_provider(), name="stream-provider"),
                asyncio.create_task(self._meter(), name="stream-meter"),
            ]
            done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            outcome = self._closing or self._outcome(done)
        except StreamClosed as closed:
            outcome = closed
        except WebSocketDisconnect:
            outcome = StreamClosed(CLOSE_NORMAL, "client left")
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.conversation.close()
        if outcome.code != CLOSE_NORMAL:
            log.info("stream %s closing with %s: %s", self.row.id, outcome.code, outcome.reason)
        with contextlib.suppress(Exception):
            await self.websocket.close(outcome.code, outcome.reason[:120])
        return outcome.code

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
        first = _parse(raw) if raw is not None else None
        initiation = first if first and first.get("type") == "conversation_initiation_client_data" else {}
        try:
            metadata = await self.conversation.start(initiation)
        except ProviderFailure as failure:
            await self._tell_error(str(failure))
            raise StreamClosed(CLOSE_PROVIDER, str(failure)) from None
        await self.send({"type": "conversation_initiation_metadata",
                         "conversation_initiation_metadata_event": metadata})
        await self.send(await self._status())
        if raw is not None and not initiation:
            await self._handle_client(raw, first)

    async def _from_client(self) -> None:
        while True:
            raw = await _receive_text(self.websocket)
            audio = raw.startswith('{"user_audio_chunk"') and '"type"' not in raw
            await self._handle_client(raw, None if audio else _parse(raw))

    async def _handle_client(self, raw: str, message: dict[str, Any] | None) -> None:
        if message is not None and "user_audio_chunk" in message and "type" not in message:
            message = None  # audio written with other spacing than the SDKs use
        if message is None:  # audio: straight through, never parsed on the hot path
            await self.conversation.send(None, raw)
            return
        kind = message.get("type")
        if kind == "user_message":
            text = message.get("text")
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_TURN_CHARS:
                await self.send({"type": "error", "error_event": {
                    "code": 1008, "error_type": "invalid_message",
                    "message": f"user_message needs text of 1 to {MAX_TURN_CHARS} characters"}})
                return
            await self.recorder.rep_said(text.strip())
        if kind in ("pong",):
            return  # our own keepalive answers the provider's pings
        await self.conversation.send(message, raw)

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
                await self.recorder.rep_said(text, already_spoken=True)

    async def _meter(self) -> None:
        """Charge each minute as it begins, and keep the session's heartbeat fresh."""
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
            elif not await self._heartbeat():
                raise StreamClosed(CLOSE_NORMAL, "session ended")

    async def _charge_next_minute(self) -> None:
        minute = self.minutes_billed + 1
        try:
            async with self.database.transaction(tenant_context(self.row.company_id)) as session:
                charged = await metering.charge_minute(session, self.row.id, minute)
        except metering.QuotaExhausted:
            await self.send({**service.status_message(self.row, 0), "minutes_billed": self.minutes_billed})
            raise StreamClosed(CLOSE_QUOTA, "quota exhausted") from None
        if not charged:
            raise StreamClosed(CLOSE_NORMAL, "session ended")
        self.minutes_billed = minute
        await self.send(await self._status())

    async def _heartbeat(self) -> bool:
        async with self.database.transaction(tenant_context(self.row.company_id)) as session:
            return await repository.touch(session, self.row.id)

    async def _status(self) -> dict[str, Any]:
        async with self.database.transaction(tenant_context(self.row.company_id)) as session:
            remaining = await metering.minutes_remaining(session, self.row.company_id, self.row.user_id)
        self.row.minutes_billed = self.minutes_billed
        return service.status_message(self.row, remaining)

    async def _tell_error(self, message: str) -> None:
        with contextlib.suppress(Exception):
            await self.send({"type": "error", "error_event": {
                "code": CLOSE_PROVIDER, "error_type": "provider_failure", "message": message}})


async def _receive_text(websocket: WebSocket) -> str:
    """The next frame as text; the protocol is JSON text, but a binary frame is read as UTF-8
    rather than breaking the call."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is not None:
        return message["text"]
    return (message.get("bytes") or b"").decode("utf-8", "replace")


def _parse(raw: str) -> dict[str, Any] | None:
    try:
        message = json.loads(raw)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


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
    user = await _authenticate(websocket, sid)
    if user is None:
        await websocket.close(CLOSE_UNAUTHORIZED, "invalid or expired ticket")
        return
    await _serve(websocket, user, sid)


async def _admit(database: Database, settings, user: User, session_id: UUID):
    """The live session and its transcript, in one transaction; a client reconnecting late pays
    for the minutes that began meanwhile. Raises StreamClosed with the code that refuses it."""
    async with database.transaction(tenant_context(user.company_id)) as session:
        row = await repository.find_session(session, session_id, user_id=user.id, for_update=True)
        if row is None or row.status != "in_progress":
            raise StreamClosed(CLOSE_UNKNOWN, "unknown session")
        # consent may have been withdrawn since the call started
        if row.mode == "voice" and not await repository.latest_consent(
            session, user.id, "voice_recording"
        ):
            raise StreamClosed(CLOSE_CONSENT, "voice_recording consent required")
        transcript = await repository.transcript_of(session, session_id)
        try:
            await service.charge_due_minutes(session, settings, row)
        except AppError:
            raise StreamClosed(CLOSE_QUOTA, "quota exhausted",
                               service.status_message(row, 0)) from None
        return row, (list(transcript.turns) if transcript else [])


async def _serve(websocket: WebSocket, user: User, session_id: UUID) -> None:
    app = websocket.app
    database: Database = app.state.database
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
