"""The practice call's WebSocket: who is calling, whether their call may stream now, and the
close code when it may not. An admitted call runs in stream_session.py; its messages are the
ElevenLabs Conversational AI protocol's (providers/elevenlabs_protocol.py).

Close codes: 1000 normal end, 4401 bad ticket or token, 4402 quota exhausted, 4403 voice without
a voice-recording consent (or the consent withdrawn mid-call), 4404 unknown (or not live, or not
yours) session, 1013 database unavailable (try again later), 1011 provider failure (the session
stays live, so it can be ended and is billed only for the minutes that really ran), 1001 server
shutting down (a live call is ended first, see shutdown.py; a new stream is refused). A client that
has not read for ``stream_send_timeout_seconds`` gets no close frame (it would not read it): its
connection is dropped, and the call stays live until it is ended or swept. A domain rule that
refuses the stream (a ``DomainError``) closes it with the code the error catalogue gives it.
"""

from __future__ import annotations

import contextlib
import logging
from uuid import UUID

from fastapi import APIRouter, WebSocket

from pitchlab.auth.dependencies import principal_from_token
from pitchlab.billing import service as billing
from pitchlab.config import Settings
from pitchlab.db import Database, is_database_unavailable, system_context, tenant_context
from pitchlab.deps import context_of
from pitchlab.http.error_catalogue import close_code_of
from pitchlab.kit.errors import DomainError
from pitchlab.models import PracticeSession, User
from pitchlab.practice import repository, service, turns
from pitchlab.practice.live import GOING_AWAY
from pitchlab.practice.recorder import TranscriptRecorder, Turns
from pitchlab.practice.shutdown import SHUTTING_DOWN
from pitchlab.practice.stream_session import (
    CLOSE_CONSENT,
    CLOSE_PROVIDER,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNKNOWN,
    StreamClosed,
    StreamSession,
)
from pitchlab.providers import elevenlabs_protocol as protocol
from pitchlab.providers.voice import OfflineVoiceProvider, VoiceProvider
from pitchlab.scenarios import service as scenarios
from pitchlab.scenarios.library import Scenario

log = logging.getLogger(__name__)
router = APIRouter()

UNAUTHORIZED = "invalid or expired ticket"

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


async def _serve(websocket: WebSocket, session_id: UUID) -> None:
    context = context_of(websocket)
    database: Database = context.database
    if context.live_streams.draining:  # shutting down: reconnect to another process, later
        await websocket.close(GOING_AWAY, SHUTTING_DOWN)
        return
    try:
        user = await _authenticate(websocket, session_id)
        row, scenario, turns_so_far, remaining = await _admit(
            database, context.settings, user, session_id)
    except StreamClosed as refused:
        if refused.last_words:
            await websocket.send_text(protocol.encode(refused.last_words))
        await websocket.close(refused.code, refused.reason)
        return
    # A text call never reaches the voice vendor: it talks to the offline prospect.
    voice: VoiceProvider = (context.providers.voice if row.mode == "voice"
                            else OfflineVoiceProvider())
    conversation = voice.open(
        prospect=scenario.prospect_brief(), session_id=row.id,
        rep_lines_so_far=turns.rep_lines(turns_so_far), user=user,
    )
    recorder = TranscriptRecorder(database, row, turns_so_far)
    call = StreamSession(websocket, row, conversation, recorder, minutes_remaining=remaining)
    context.live_streams.register(row.id, call.request_close)
    try:
        await call.run()
    finally:
        context.live_streams.unregister(row.id, call.request_close)


# --- who is on the line -----------------------------------------------------------------------

async def _authenticate(websocket: WebSocket, session_id: UUID) -> User:
    """The ticket's user, or the bearer token's; StreamClosed (4401) for anyone else."""
    database: Database = context_of(websocket).database
    ticket = websocket.query_params.get("ticket")
    if ticket:
        async with database.transaction(system_context("stream_ticket")) as session:
            user_id = await service.spend_ticket(session, ticket, session_id)
            user = await service.user_of_ticket(session, user_id) if user_id else None
    else:
        user = await _user_from_bearer(websocket, database)
    if user is None or user.disabled_at is not None:
        raise StreamClosed(CLOSE_UNAUTHORIZED, UNAUTHORIZED)
    return user


async def _user_from_bearer(websocket: WebSocket, database: Database) -> User | None:
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    # The HTTP API's own check, so the stream can never accept a token the API refuses.
    async with database.transaction() as session:
        try:
            principal = await principal_from_token(session, context_of(websocket).settings, token)
        except DomainError as refused:
            raise StreamClosed(close_code_of(refused), UNAUTHORIZED) from None
    return principal.user


# --- may this call stream now -----------------------------------------------------------------

async def _admit(
    database: Database, settings: Settings, user: User, session_id: UUID
) -> tuple[PracticeSession, Scenario, Turns, int]:
    """The live session, its scenario, its transcript and the minutes left, in one transaction
    (each transaction a call's set-up saves is event-loop time the live calls keep); a client
    reconnecting late pays for the minutes that began meanwhile. Raises StreamClosed with the
    code that refuses it."""
    if user.company_id is None:  # an operator: holds no practice calls
        raise StreamClosed(CLOSE_UNKNOWN, "unknown session")
    async with database.transaction(tenant_context(user.company_id)) as session:
        row = await repository.find_session(session, session_id, user_id=user.id, for_update=True)
        if row is None or row.status != "in_progress":
            raise StreamClosed(CLOSE_UNKNOWN, "unknown session")
        # consent may have been withdrawn since the call started
        if not await service.recording_allowed(session, row):
            raise StreamClosed(CLOSE_CONSENT, "voice_recording consent required")
        scenario = await scenarios.playable(session, row.company_id, row.scenario_id, live=True)
        if scenario is None:  # retired from the library while the call was live
            raise StreamClosed(CLOSE_PROVIDER, "the call's scenario no longer exists")
        transcript = await repository.transcript_of(session, session_id)
        try:
            await service.charge_due_minutes(session, settings, row)
        except DomainError as refused:  # no minute left for the time that has passed
            raise StreamClosed(close_code_of(refused), "quota exhausted",
                               service.status_message(row, 0)) from None
        remaining = await billing.minutes_remaining(session, row.company_id, row.user_id)
        return row, scenario, (list(transcript.turns) if transcript else []), remaining
