"""Practice calls: start, text turns, end, reading them back, and the idle sweep.

Every function runs in the caller's unit of work (flushes, never commits). Quotas are charged
through billing.metering so that a failed charge rolls back with everything else.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.auth.dependencies import Principal
from pitchlab.billing import metering
from pitchlab.config import Settings
from pitchlab.db import system_context, temporary_context
from pitchlab.errors import AppError
from pitchlab.feedback.service import queue_feedback
from pitchlab.models import Company, PracticeSession, Transcript
from pitchlab.practice import repository, turns
from pitchlab.practice.prospect import replay
from pitchlab.practice.scenarios import DEFAULT_SCENARIO_ID, Scenario, get_scenario
from pitchlab.providers import elevenlabs_protocol as protocol
from pitchlab.security.tokens import hash_opaque_token, new_opaque_token

log = logging.getLogger(__name__)


def not_found() -> AppError:
    return AppError("not_found", "No such session.", 404)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Started:
    row: PracticeSession
    scenario: Scenario
    minutes_remaining: int
    ticket: str


# --- starting ----------------------------------------------------------------------------------

async def start_session(
    session: AsyncSession, settings: Settings, principal: Principal, scenario_id: str | None,
    mode: str,
) -> Started:
    user = principal.user
    if user.company_id is None:
        raise AppError("forbidden", "Platform operators do not hold practice calls.", 403)
    # The checks, in the order the product promises them.
    if user.email_verified_at is None:
        raise AppError("email_not_verified", "Confirm your email address first.", 403)
    company = await session.get(Company, user.company_id)
    if company is None or not await _may_practise(session, company):
        raise AppError("subscription_inactive",
                       "The trial has ended and there is no active subscription.", 402)
    scenario = get_scenario(scenario_id or DEFAULT_SCENARIO_ID)
    if scenario is None:
        raise AppError("unknown_scenario",
                       "No scenario has this id: GET /api/scenarios lists the ones you can use.",
                       422, details={"scenario_id": scenario_id, "scenarios": "GET /api/scenarios"})
    if await metering.minutes_remaining(session, company.id, user.id) < 1:
        raise AppError("quota_exhausted", "No practice minutes are left.", 402)
    if await repository.live_session_of(session, user.id) is not None:
        raise _already_live()
    if mode == "voice" and not await repository.latest_consent(session, user.id, "voice_recording"):
        raise AppError("consent_required",
                       "Voice calls need your consent to voice recording first: POST "
                       "/api/users/me/consents with kind \"voice_recording\" and granted true "
                       "(or start a text call).", 403,
                       details={"kind": "voice_recording",
                                "consents": "POST /api/users/me/consents"})
    row = await _insert_session(session, user.id, company.id, scenario.id, mode)
    session.add(Transcript(session_id=row.id, company_id=company.id, transcript_text="", turns=[]))
    try:
        await metering.charge_minute(session, row.id, 1)
    except metering.QuotaExhausted:
        raise AppError("quota_exhausted", "No practice minutes are left.", 402) from None
    await session.refresh(row)
    ticket = await issue_ticket(session, settings, row)
    remaining = await metering.minutes_remaining(session, company.id, user.id)
    return Started(row, scenario, remaining, ticket)


async def live_voice_call_of(session: AsyncSession, user_id: UUID) -> UUID | None:
    """The user's live voice call, if any (whose recording a consent withdrawal stops)."""
    row = await repository.live_session_of(session, user_id)
    return row.id if row is not None and row.mode == "voice" else None


def _already_live() -> AppError:
    return AppError("session_in_progress", "You already have a practice call in progress.", 409)


async def _may_practise(session: AsyncSession, company: Company) -> bool:
    if company.trial_expires_at is not None and company.trial_expires_at > _now():
        return True
    return await repository.has_paying_subscription(session, company.id)


async def _insert_session(session, user_id, company_id, scenario_id, mode) -> PracticeSession:
    row = PracticeSession(user_id=user_id, company_id=company_id, scenario_id=scenario_id,
                          mode=mode, status="in_progress")
    try:
        async with session.begin_nested():  # the one-live-call index settles races
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise _already_live() from None
    return row


async def issue_ticket(session: AsyncSession, settings: Settings, row: PracticeSession) -> str:
    token, token_hash = new_opaque_token()
    async with temporary_context(session, system_context("stream_ticket")):
        await repository.add_ticket(
            session, session_id=row.id, user_id=row.user_id, token_hash=token_hash,
            expires_at=_now() + timedelta(seconds=settings.stream_ticket_seconds),
        )
    return token


async def spend_ticket(session: AsyncSession, ticket: str, session_id: UUID) -> UUID | None:
    async with temporary_context(session, system_context("stream_ticket")):
        return await repository.spend_ticket(session, hash_opaque_token(ticket), session_id)


# --- reading -----------------------------------------------------------------------------------

def _own_scope(principal: Principal) -> UUID | None:
    """Reps see their own calls; admins (and operators) every call their context allows."""
    return None if principal.user.role in ("admin", "super_admin") else principal.user.id


async def visible_session(
    session: AsyncSession, principal: Principal, session_id: UUID, *, for_update: bool = False
) -> PracticeSession:
    row = await repository.find_session(
        session, session_id, user_id=_own_scope(principal), for_update=for_update
    )
    if row is None:
        raise not_found()
    return row


async def own_live_session(session: AsyncSession, principal: Principal, session_id: UUID) -> PracticeSession:
    row = await repository.find_session(session, session_id, user_id=principal.user.id,
                                        for_update=True)
    if row is None:
        raise not_found()
    if row.status != "in_progress":
        raise AppError("session_not_in_progress", "This call has ended.", 409)
    return row


async def list_sessions(
    session: AsyncSession, principal: Principal, *, user_id: UUID | None, cursor: str | None,
    limit: int,
) -> tuple[list[PracticeSession], str | None]:
    # The caller's own calls by default; admins may name another user of their company.
    if _own_scope(principal) is not None and user_id not in (None, principal.user.id):
        raise AppError("forbidden", "Only admins can list other users' sessions.", 403)
    rows = await repository.list_sessions(
        session, user_id=user_id or principal.user.id, after=_decode_cursor(cursor),
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _encode_cursor(rows[-1]) if more else None


def _encode_cursor(row: PracticeSession) -> str:
    raw = json.dumps([row.started_at.isoformat(), str(row.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if not cursor:
        return None
    try:
        started, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(started, str) or not isinstance(row_id, str):
            raise ValueError("cursor fields are strings")
        return datetime.fromisoformat(started), UUID(row_id)
    except (ValueError, TypeError):
        raise AppError("invalid_cursor", "This cursor is not valid.", 422) from None


def duration_seconds(row: PracticeSession) -> int | None:
    if row.ended_at is None:
        return None
    return int((row.ended_at - row.started_at).total_seconds())


# --- talking (text mode) -------------------------------------------------------------------------

def elapsed_ms(row: PracticeSession) -> int:
    return int((_now() - row.started_at).total_seconds() * 1000)


def minutes_begun(row: PracticeSession, settings: Settings, at: datetime) -> int:
    """How many billed minutes have begun by ``at``: minute n begins (n-1) minutes after the
    start, on the server's clock, whatever the client did meanwhile."""
    elapsed = (at - row.started_at).total_seconds()
    return max(1, math.ceil(elapsed / settings.billing_minute_seconds))


async def charge_due_minutes(session: AsyncSession, settings: Settings, row: PracticeSession) -> None:
    """Charge every minute that has begun since the last charge; 402 (and the caller's whole
    transaction rolled back) when one does not fit."""
    for minute in range(row.minutes_billed + 1, minutes_begun(row, settings, _now()) + 1):
        try:
            await metering.charge_minute(session, row.id, minute)
        except metering.QuotaExhausted:
            raise AppError("quota_exhausted", "No practice minutes are left.", 402) from None
    await session.refresh(row)


async def _charge_minutes_until(
    session: AsyncSession, settings: Settings, row: PracticeSession, ended_at: datetime
) -> None:
    """At the end of a call: charge the minutes that began before it ended and were not charged
    yet (a stream cut off, a client that stopped reading, a crash), as far as the quota goes."""
    for minute in range(row.minutes_billed + 1, minutes_begun(row, settings, ended_at) + 1):
        try:
            async with session.begin_nested():  # a minute that does not fit leaves no trace
                if not await metering.charge_minute(session, row.id, minute):
                    break
        except metering.QuotaExhausted:
            break
    await session.refresh(row)


async def text_turn(
    session: AsyncSession, settings: Settings, principal: Principal, session_id: UUID, text: str
) -> list[protocol.ServerMessage]:
    """One rep turn in text mode; returns the protocol messages to stream back."""
    row = await own_live_session(session, principal, session_id)
    await charge_due_minutes(session, settings, row)
    scenario = get_scenario(row.scenario_id)
    transcript = await repository.transcript_of(session, row.id, for_update=True)
    said = list(transcript.turns)
    prospect = replay(scenario, turns.rep_lines(said))
    reply = prospect.reply(text)
    now = elapsed_ms(row)
    # Nothing said yet: the prospect picked up and said its opening line as the call began, as
    # it does on the stream; the client hears it first.
    opening = None if said else prospect.opening()
    if opening is not None:
        said = turns.add_turn(said, "prospect", opening, 0)
    said = turns.add_turn(said, "rep", text, now)
    said = turns.add_turn(said, "prospect", reply, now)
    await repository.save_turns(session, transcript, said)
    await repository.touch(session, row.id)
    remaining = await metering.minutes_remaining(session, row.company_id, row.user_id)
    return [
        *([protocol.agent_response(opening)] if opening is not None else []),
        protocol.user_transcript(text),
        status_message(row, remaining),
        protocol.agent_response(reply),
    ]


def status_message(row: PracticeSession, minutes_remaining: int) -> protocol.SessionStatus:
    return protocol.session_status(
        minutes_remaining=minutes_remaining,
        seconds_elapsed=int((_now() - row.started_at).total_seconds()),
        minutes_billed=row.minutes_billed,
    )


# --- ending ------------------------------------------------------------------------------------

def end_reason(principal: Principal, row: PracticeSession) -> str:
    """Who ended the call: ``ended_by_user`` when the call's own user did (whatever their
    role), else ``ended_by_admin`` (or ``ended_by_super_admin``) for someone else's call."""
    if principal.user.id == row.user_id:
        return "ended_by_user"
    return f"ended_by_{principal.user.role}"


async def end_session(
    session: AsyncSession, settings: Settings, row: PracticeSession, *, status: str, reason: str,
    ended_at: datetime | None = None,
) -> PracticeSession:
    """End a live call: the minutes begun until it ended charged, status, usage row, final
    transcript, feedback pending. A call that has ended already is returned as it is, and
    nothing is billed again. ``row`` must be locked (FOR UPDATE) by the caller."""
    if row.status != "in_progress":
        return row
    ended_at = max(ended_at or _now(), row.started_at)
    await _charge_minutes_until(session, settings, row, ended_at)
    row.status = status
    row.ended_at = ended_at
    row.end_reason = reason
    row.feedback_status = "pending" if status == "completed" else None
    await metering.record_usage(
        session, session_id=row.id, company_id=row.company_id, user_id=row.user_id,
        minutes=row.minutes_billed,
    )
    transcript = await repository.transcript_of(session, row.id, for_update=True)
    if transcript is not None:
        # nothing is said after the call ended (a reply still "being spoken" is cut there)
        duration_ms = int((ended_at - row.started_at).total_seconds() * 1000)
        fitted = turns.fit_to_call(transcript.turns, duration_ms)
        if fitted != transcript.turns:
            await repository.save_turns(session, transcript, fitted)
        transcript.transcript_text = turns.render_text(fitted)
    await session.flush()
    if row.feedback_status == "pending":
        # same transaction: the call ends if and only if its feedback is queued
        await queue_feedback(session, row.id)
    return row


async def end_live_call_of(
    session: AsyncSession, settings: Settings, user_id: UUID, *, reason: str
) -> UUID | None:
    """Cancel the user's live call, if any (billed, usage row written): before an account is
    erased, so that its usage row exists before the session is gone. Its id, so the caller can
    close its stream."""
    row = await repository.live_session_of(session, user_id, for_update=True)
    if row is None:
        return None
    await end_session(session, settings, row, status="cancelled", reason=reason)
    return row.id


async def sweep_idle_sessions(session: AsyncSession, settings: Settings) -> int:
    """End every call whose stream and turns went quiet (a crashed process, a closed laptop).
    The call ended when it was last heard of: minutes begun until then are charged (as far as
    the quota goes), the quiet minutes since are not; the transcript keeps what was said."""
    ended = 0
    for row in await repository.idle_sessions(session, settings.session_idle_timeout_seconds):
        await end_session(session, settings, row, status="completed", reason="idle_timeout",
                          ended_at=row.last_activity_at)
        ended += 1
    if ended:
        log.info("ended %d idle session(s)", ended)
    return ended
