"""Practice-session endpoints (HTTP). The WebSocket stream lives in ``stream.py``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.billing.errors import QuotaExhausted, SubscriptionInactive
from pitchlab.config import Settings
from pitchlab.deps import AppSettings, DbSession, context_of
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import EmailNotVerified, InvalidCursor
from pitchlab.models import PracticeSession, Transcript
from pitchlab.practice import service, turns
from pitchlab.practice.errors import (
    ConsentRequired,
    OnlyAdminsListOthers,
    ServerShuttingDown,
    SessionInProgress,
    SessionNotFound,
    SessionNotInProgress,
    UnknownScenario,
)
from pitchlab.practice.schemas import (
    ScenarioOut,
    SessionEnd,
    SessionEnded,
    SessionList,
    SessionOut,
    SessionStart,
    SessionStarted,
    StreamAccess,
    TextTurn,
    TranscriptOut,
    TurnOut,
)

router = APIRouter(tags=["practice"])


def stream_url(settings: Settings, session_id: UUID, ticket: str) -> str:
    # public_url is resolved at start-up (the served address when unset); without it, a path
    base = (settings.public_url or "").rstrip("/")
    base = base.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return f"{base}/api/sessions/{session_id}/stream?ticket={ticket}"


def session_out(row: PracticeSession, scenario: ScenarioOut) -> SessionOut:
    return SessionOut(
        id=row.id, user_id=row.user_id, status=row.status, mode=row.mode,
        scenario=scenario, started_at=row.started_at,
        ended_at=row.ended_at, duration_seconds=service.duration_seconds(row),
        minutes_billed=row.minutes_billed, feedback_status=row.feedback_status,
        end_reason=row.end_reason,
    )


@router.post(
    "/api/sessions/start", status_code=status.HTTP_201_CREATED, response_model=SessionStarted,
    summary="Start a practice call (charges its first minute)",
    description="Checks, in order: email verified (403 `email_not_verified`), trial or "
    "subscription (402 `subscription_inactive`), minutes left on the company quota and the "
    "user's cap (402 `quota_exhausted`), no other live call (409 `session_in_progress`), and for "
    "voice a `voice_recording` consent (403 `consent_required`).",
    responses=error_responses(401, EmailNotVerified, SubscriptionInactive, QuotaExhausted,
                              SessionInProgress, ConsentRequired, UnknownScenario, 422,
                              ServerShuttingDown),
)
async def start(
    body: SessionStart, request: Request, principal: CurrentPrincipal, session: DbSession,
    settings: AppSettings,
) -> SessionStarted:
    if context_of(request).live_streams.draining:  # this process is stopping (SIGTERM)
        raise ServerShuttingDown
    started = await service.start_session(session, settings, principal, body.scenario_id, body.mode)
    row = started.row
    return SessionStarted(
        id=row.id, status=row.status, mode=row.mode, started_at=row.started_at,
        scenario=ScenarioOut.of(started.scenario), minutes_remaining=started.minutes_remaining,
        stream=StreamAccess(url=stream_url(settings, row.id, started.ticket),
                            ticket=started.ticket, expires_in=settings.stream_ticket_seconds),
    )


@router.post(
    "/api/sessions/{session_id:uuid}/stream",
    summary="One rep turn in text mode, the reply streamed as NDJSON",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}},
                     "description": "One protocol message per line, ending with the "
                                    "prospect's `agent_response`."},
               **error_responses(401, QuotaExhausted, SessionNotFound, SessionNotInProgress,
                                 UnknownScenario, 422)},
)
async def text_turn(
    session_id: UUID, body: TextTurn, principal: CurrentPrincipal, session: DbSession,
    settings: AppSettings,
) -> StreamingResponse:
    messages = await service.text_turn(session, settings, principal, session_id, body.text)

    async def lines() -> AsyncIterator[str]:
        for message in messages:
            yield json.dumps(message) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.post(
    "/api/sessions/{session_id:uuid}/end", response_model=SessionEnded,
    summary="End a call (idempotent: a second call returns the same body and bills nothing)",
    responses=error_responses(401, SessionNotFound, 422),
)
async def end(
    session_id: UUID, request: Request, principal: CurrentPrincipal, session: DbSession,
    settings: AppSettings, body: SessionEnd | None = None,
) -> SessionEnded:
    row = await service.visible_session(session, principal, session_id, for_update=True)
    reason = (body or SessionEnd()).reason
    row = await service.end_session(session, settings, row, status=reason,
                                    reason=service.end_reason(principal, row))
    context_of(request).live_streams.close(row.id)
    assert row.ended_at is not None  # end_session ended it, or it had ended before
    return SessionEnded(
        id=row.id, status=row.status, started_at=row.started_at, ended_at=row.ended_at,
        duration_seconds=service.duration_seconds(row) or 0, minutes_billed=row.minutes_billed,
        feedback_status=row.feedback_status,
    )


@router.get("/api/sessions", response_model=SessionList, summary="My calls (admins: ?user_id=)",
            responses=error_responses(401, OnlyAdminsListOthers, InvalidCursor, 422))
async def list_sessions(
    principal: CurrentPrincipal, session: DbSession,
    user_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SessionList:
    rows, next_cursor = await service.list_sessions(
        session, principal, user_id=user_id, cursor=cursor, limit=limit
    )
    named = await service.scenarios_of(session, rows)
    return SessionList(items=[session_out(r, named[r.scenario_id]) for r in rows],
                       next_cursor=next_cursor)


@router.get("/api/sessions/{session_id:uuid}", response_model=SessionOut, summary="One call",
            responses=error_responses(401, SessionNotFound, 422))
async def get_session(
    session_id: UUID, principal: CurrentPrincipal, session: DbSession
) -> SessionOut:
    row = await service.visible_session(session, principal, session_id)
    return session_out(row, await service.scenario_of(session, row))


@router.get("/api/sessions/{session_id:uuid}/transcript", response_model=TranscriptOut,
            summary="What was said, turn by turn",
            responses=error_responses(401, SessionNotFound, 422))
async def transcript(
    session_id: UUID, principal: CurrentPrincipal, session: DbSession
) -> TranscriptOut:
    row, stored = await service.visible_transcript(session, principal, session_id)
    return transcript_out(row, stored)


def transcript_out(row: PracticeSession, stored: Transcript) -> TranscriptOut:
    """A call's transcript as the endpoint answers it (a recording's too)."""
    return TranscriptOut(
        # rendered from the turns on every read, so that text stored before the rendering
        # stopped line breaks from forging speakers is shown safely too
        session_id=row.id, text=turns.render_text(stored.turns) if stored.turns
        else stored.transcript_text,
        turns=[TurnOut(**t) for t in stored.turns], created_at=stored.created_at,
    )
