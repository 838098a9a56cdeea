"""Practice calls: start, text turns, end, reading them back, and the idle sweep.

Every function runs in the caller's unit of work (flushes, never commits). Minutes are charged
through billing's service, so that a refused charge rolls back with everything else. A call that
completes publishes ``SessionCompleted`` in the same transaction: feedback reacts to it, and
nothing here knows who does.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.auth import service as auth
from pitchlab.auth.dependencies import Principal
from pitchlab.billing import service as billing
from pitchlab.billing.errors import QuotaExhausted
from pitchlab.config import Settings
from pitchlab.consents import service as consents
from pitchlab.db import system_context, temporary_context
from pitchlab.kit import cursors
from pitchlab.kit.errors import EmailNotVerified
from pitchlab.kit.events import publish
from pitchlab.models import PracticeSession, Transcript, User
from pitchlab.models.values import (
    ConsentKind,
    EndReason,
    FeedbackStatus,
    SessionMode,
    SessionStatus,
    Speaker,
    Turn,
)
from pitchlab.practice import repository, turns
from pitchlab.practice.errors import (
    ConsentRequired,
    OnlyAdminsListOthers,
    OperatorsDoNotPractise,
    SessionInProgress,
    SessionNotFound,
    SessionNotInProgress,
    UnknownScenario,
)
from pitchlab.practice.events import SessionCompleted
from pitchlab.practice.prospect import replay
from pitchlab.providers import elevenlabs_protocol as protocol
from pitchlab.scenarios import service as scenarios
from pitchlab.scenarios.library import DEFAULT_SCENARIO_ID, Scenario
from pitchlab.scenarios.schemas import ScenarioOut
from pitchlab.security.tokens import hash_opaque_token, new_opaque_token

log = logging.getLogger(__name__)


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
    mode: SessionMode,
) -> Started:
    user = principal.user
    if user.company_id is None:
        raise OperatorsDoNotPractise
    company_id = user.company_id
    # The checks, in the order the product promises them.
    if user.email_verified_at is None:
        raise EmailNotVerified
    await billing.ensure_may_practise(session, company_id, _now())
    # a company scenario that is archived (or another company's) starts nothing
    scenario = await scenarios.playable(session, company_id, scenario_id or DEFAULT_SCENARIO_ID)
    if scenario is None:
        raise UnknownScenario(scenario_id)
    if await billing.minutes_remaining(session, company_id, user.id) < 1:
        raise QuotaExhausted
    if await repository.live_session_of(session, user.id) is not None:
        raise SessionInProgress
    if mode == SessionMode.VOICE and not await consents.is_granted(
        session, user.id, ConsentKind.VOICE_RECORDING
    ):
        raise ConsentRequired(ConsentKind.VOICE_RECORDING)
    row = await _insert_session(session, user.id, company_id, scenario.id, mode)
    row.language = scenario.language  # as it begins: a later edit of the scenario changes nothing
    await repository.add_transcript(session, row)
    await billing.charge_minute(session, row.id, 1)
    await session.refresh(row)
    ticket = await issue_ticket(session, settings, row)
    remaining = await billing.minutes_remaining(session, company_id, user.id)
    return Started(row, scenario, remaining, ticket)


async def scenario_of(session: AsyncSession, row: PracticeSession) -> ScenarioOut:
    """The scenario a call was held in, as its history names it (an archived one by name)."""
    return await scenarios.describe(session, row.company_id, row.scenario_id)


async def scenarios_of(session: AsyncSession, rows: Sequence[PracticeSession]
                       ) -> dict[str, ScenarioOut]:
    """``scenario_of`` for a page of calls, by scenario id: one query per company, not one per
    call (a page is one company's)."""
    named: dict[str, ScenarioOut] = {}
    for company_id in {row.company_id for row in rows}:
        named |= await scenarios.describe_all(
            session, company_id, (row.scenario_id for row in rows if row.company_id == company_id))
    return named


async def live_voice_call_of(session: AsyncSession, user_id: UUID) -> UUID | None:
    """The user's live voice call, if any (whose recording a consent withdrawal stops)."""
    row = await repository.live_session_of(session, user_id)
    return row.id if row is not None and row.mode == SessionMode.VOICE else None


async def _insert_session(
    session: AsyncSession, user_id: UUID, company_id: UUID, scenario_id: str, mode: SessionMode
) -> PracticeSession:
    try:
        async with session.begin_nested():  # the one-live-call index settles races
            return await repository.add_session(
                session, user_id=user_id, company_id=company_id, scenario_id=scenario_id,
                mode=mode,
            )
    except IntegrityError:
        raise SessionInProgress from None


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
        raise SessionNotFound
    return row


async def visible_transcript(
    session: AsyncSession, principal: Principal, session_id: UUID
) -> tuple[PracticeSession, Transcript]:
    row = await visible_session(session, principal, session_id)
    stored = await repository.transcript_of(session, row.id)
    if stored is None:
        raise SessionNotFound
    return row, stored


async def own_live_session(
    session: AsyncSession, principal: Principal, session_id: UUID
) -> PracticeSession:
    row = await repository.find_session(session, session_id, user_id=principal.user.id,
                                        for_update=True)
    if row is None:
        raise SessionNotFound
    if row.status != SessionStatus.IN_PROGRESS:
        raise SessionNotInProgress
    return row


async def list_sessions(
    session: AsyncSession, principal: Principal, *, user_id: UUID | None, cursor: str | None,
    limit: int,
) -> tuple[list[PracticeSession], str | None]:
    # The caller's own calls by default; admins may name another user of their company.
    if _own_scope(principal) is not None and user_id not in (None, principal.user.id):
        raise OnlyAdminsListOthers
    rows = await repository.list_sessions(
        session, user_id=user_id or principal.user.id, after=cursors.decode_cursor(cursor),
        limit=limit + 1,
    )
    return cursors.page(rows, limit, lambda row: (row.started_at, row.id))






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


async def charge_due_minutes(
    session: AsyncSession, settings: Settings, row: PracticeSession
) -> None:
    """Charge every minute that has begun since the last charge; QuotaExhausted (and the
    caller's whole transaction rolled back) when one does not fit."""
    for minute in range(row.minutes_billed + 1, minutes_begun(row, settings, _now()) + 1):
        await billing.charge_minute(session, row.id, minute)
    await session.refresh(row)


async def _charge_minutes_until(
    session: AsyncSession, settings: Settings, row: PracticeSession, ended_at: datetime
) -> None:
    """At the end of a call: charge the minutes that began before it ended and were not charged
    yet (a stream cut off, a client that stopped reading, a crash), as far as the quota goes."""
    for minute in range(row.minutes_billed + 1, minutes_begun(row, settings, ended_at) + 1):
        try:
            async with session.begin_nested():  # a minute that does not fit leaves no trace
                if not await billing.charge_minute(session, row.id, minute):
                    break
        except QuotaExhausted:
            break
    await session.refresh(row)


async def text_turn(
    session: AsyncSession, settings: Settings, principal: Principal, session_id: UUID, text: str
) -> list[protocol.ServerMessage]:
    """One rep turn in text mode; returns the protocol messages to stream back."""
    row = await own_live_session(session, principal, session_id)
    await charge_due_minutes(session, settings, row)
    scenario = await scenarios.playable(session, row.company_id, row.scenario_id, live=True)
    if scenario is None:  # retired while the call was live: there is no prospect to play
        raise UnknownScenario(row.scenario_id)
    transcript = await repository.live_transcript(session, row.id)
    said = list(transcript.turns)
    prospect = replay(scenario, turns.rep_lines(said))
    reply = prospect.reply(text)
    now = elapsed_ms(row)
    # Nothing said yet: the prospect picked up and said its opening line as the call began, as
    # it does on the stream; the client hears it first.
    opening = None if said else prospect.opening()
    if opening is not None:
        said = turns.add_turn(said, Speaker.PROSPECT, opening, 0)
    said = turns.add_turn(said, Speaker.REP, text, now)
    said = turns.add_turn(said, Speaker.PROSPECT, reply, now)
    repository.save_turns(transcript, said)
    await repository.touch(session, row.id)
    remaining = await billing.minutes_remaining(session, row.company_id, row.user_id)
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

def end_reason(principal: Principal, row: PracticeSession) -> EndReason:
    """Who ended the call: ``ended_by_user`` when the call's own user did (whatever their
    role), else ``ended_by_admin`` (or ``ended_by_super_admin``) for someone else's call."""
    if principal.user.id == row.user_id:
        return EndReason.ENDED_BY_USER
    return EndReason(f"ended_by_{principal.user.role}")


async def end_session(
    session: AsyncSession, settings: Settings, row: PracticeSession, *, status: SessionStatus,
    reason: EndReason, ended_at: datetime | None = None,
) -> PracticeSession:
    """End a live call: the minutes begun until it ended charged, status, usage row, final
    transcript; a completed call's feedback pending and ``SessionCompleted`` published. A call
    that has ended already is returned as it is, and nothing is billed or published again.
    ``row`` must be locked (FOR UPDATE) by the caller."""
    if row.status != SessionStatus.IN_PROGRESS:
        return row
    ended_at = max(ended_at or _now(), row.started_at)
    await _charge_minutes_until(session, settings, row, ended_at)
    completed = status == SessionStatus.COMPLETED
    row.status = status
    row.ended_at = ended_at
    row.end_reason = reason
    row.feedback_status = FeedbackStatus.PENDING if completed else None
    # The usage row closes the call's ledger with its last charges, in this transaction (not in
    # reaction to an event): an erased account's cascade takes the session right after.
    await billing.record_usage(
        session, session_id=row.id, company_id=row.company_id, user_id=row.user_id,
        minutes=row.minutes_billed,
    )
    await _close_transcript(session, row, ended_at)
    await session.flush()
    if completed:
        # same transaction: the call completes if and only if its event is queued
        await publish(session, _completed(row, ended_at))
    return row


async def record_real_call(
    session: AsyncSession, *, user_id: UUID, company_id: UUID, language: str | None,
    scorecard_id: UUID | None, started_at: datetime, duration_seconds: float,
    call_turns: list[Turn],
) -> UUID:
    """A call that already happened (an uploaded recording) as a completed call: listed in
    history, scored by the feedback worker (``SessionCompleted``), never billed in practice
    minutes. Its id."""
    ended_at = started_at + timedelta(seconds=duration_seconds)
    row = await repository.add_real_call(
        session, user_id=user_id, company_id=company_id, language=language,
        scorecard_id=scorecard_id, started_at=started_at, ended_at=ended_at, turns=call_turns,
        text=turns.render_text(call_turns))
    await publish(session, _completed(row, ended_at))
    return row.id


async def feedback_statuses_of(session: AsyncSession, session_ids: Sequence[UUID]
                               ) -> dict[UUID, FeedbackStatus | None]:
    """Each call's feedback status, by id, in one query (a page of recordings' calls)."""
    return await repository.feedback_statuses(session, session_ids) if session_ids else {}


async def delete_real_call(session: AsyncSession, session_id: UUID) -> None:
    """An uploaded recording's call, with its transcript and feedback (a deleted recording);
    a practice call is never deleted this way (its minutes are the billing record)."""
    await repository.delete_real_call(session, session_id)


def _completed(row: PracticeSession, ended_at: datetime) -> SessionCompleted:
    return SessionCompleted(session_id=row.id, company_id=row.company_id, user_id=row.user_id,
                            ended_at=ended_at, minutes_billed=row.minutes_billed)


async def _close_transcript(
    session: AsyncSession, row: PracticeSession, ended_at: datetime
) -> None:
    transcript = await repository.transcript_of(session, row.id, for_update=True)
    if transcript is None:
        return
    # nothing is said after the call ended (a reply still "being spoken" is cut there)
    duration_ms = int((ended_at - row.started_at).total_seconds() * 1000)
    fitted = turns.fit_to_call(transcript.turns, duration_ms)
    if fitted != transcript.turns:
        repository.save_turns(transcript, fitted)
    transcript.transcript_text = turns.render_text(fitted)


async def end_live_call_of(
    session: AsyncSession, settings: Settings, user_id: UUID, *, reason: str
) -> UUID | None:
    """Cancel the user's live call, if any (billed, usage row written): before an account is
    erased, so that its usage row exists before the session is gone. Its id, so the caller can
    close its stream. ``reason`` is an EndReason's value."""
    row = await repository.live_session_of(session, user_id, for_update=True)
    if row is None:
        return None
    await end_session(session, settings, row, status=SessionStatus.CANCELLED,
                      reason=EndReason(reason))
    return row.id


async def sweep_idle_sessions(session: AsyncSession, settings: Settings) -> int:
    """End every call whose stream and turns went quiet (a crashed process, a closed laptop).
    The call ended when it was last heard of: minutes begun until then are charged (as far as
    the quota goes), the quiet minutes since are not; the transcript keeps what was said."""
    ended = 0
    for row in await repository.idle_sessions(session, settings.session_idle_timeout_seconds):
        await end_session(session, settings, row, status=SessionStatus.COMPLETED,
                          reason=EndReason.IDLE_TIMEOUT, ended_at=row.last_activity_at)
        ended += 1
    if ended:
        log.info("ended %d idle session(s)", ended)
    return ended


# --- feedback's view of a call --------------------------------------------------------------------

@dataclass(frozen=True)
class EndedCall:
    """What feedback reads of a call it scores."""

    session_id: UUID
    company_id: UUID
    user_id: UUID
    scenario_id: str  # a built-in's slug or a company scenario's id
    mode: SessionMode
    call_type: str | None  # the scenario's; None once the scenario is retired
    duration_seconds: float | None
    turns: list[Turn]
    language: str = "en"  # what the call was held in: a recording's, else its scenario's
    scorecard_id: UUID | None = None  # graded on, when no scenario says (a recording's)

    @property
    def is_real_call(self) -> bool:
        """An uploaded recording: its turns' times were measured, not estimated."""
        return self.mode == SessionMode.RECORDING


async def call_awaiting_feedback(session: AsyncSession, session_id: UUID) -> EndedCall | None:
    """The call, while its feedback is pending: None once it is ready or failed, or when the
    call is gone."""
    row = await repository.find_session(session, session_id, user_id=None)
    if row is None or row.feedback_status != FeedbackStatus.PENDING:
        return None
    transcript = await repository.transcript_of(session, session_id)
    scenario = await scenarios.playable(session, row.company_id, row.scenario_id, live=True)
    return EndedCall(
        session_id=row.id, company_id=row.company_id, user_id=row.user_id,
        scenario_id=row.scenario_id, mode=row.mode,
        call_type=scenario.call_type if scenario else None,
        duration_seconds=(row.ended_at - row.started_at).total_seconds() if row.ended_at else None,
        turns=list(transcript.turns) if transcript else [],
        language=row.language or (scenario.language if scenario else None) or "en",
        scorecard_id=row.scorecard_id,
    )


async def feedback_ready(session: AsyncSession, session_id: UUID) -> None:
    await repository.feedback_ready(session, session_id)


async def feedback_failed(session: AsyncSession, session_id: UUID, reason: str) -> None:
    """The reason is shown to the client: short, and no internals."""
    await repository.feedback_failed(session, session_id, reason[:500])


async def completed_calls_awaiting_feedback(
    session: AsyncSession, ended_seconds_ago: float
) -> list[SessionCompleted]:
    """The completions of calls whose feedback is still pending this long after they ended."""
    return [_completed(row, row.ended_at)
            for row in await repository.awaiting_feedback(session, ended_seconds_ago)
            if row.ended_at is not None]


async def recording_allowed(session: AsyncSession, row: PracticeSession) -> bool:
    """Whether the call may be recorded: a text call always, a voice call while its rep's
    latest voice_recording consent is a grant (a withdrawal stops the recording)."""
    return row.mode != SessionMode.VOICE or await consents.is_granted(
        session, row.user_id, ConsentKind.VOICE_RECORDING
    )


async def user_of_ticket(session: AsyncSession, user_id: UUID) -> User | None:
    """The user a stream ticket was issued to."""
    return await auth.get_user(session, user_id)


async def calls_of_user(
    session: AsyncSession, user_id: UUID
) -> tuple[Sequence[PracticeSession], Sequence[Transcript]]:
    """Every call of the user, oldest first, and their transcripts (the GDPR export)."""
    calls = await repository.sessions_of_user(session, user_id)
    return calls, await repository.transcripts_of(session, [call.id for call in calls])


async def purge_transcripts(session: AsyncSession, company_id: UUID, cutoff: datetime) -> int:
    """Retention: delete the transcripts of the company's calls that ended before ``cutoff``
    (the calls themselves, their minutes and times, stay)."""
    return await repository.delete_transcripts_of_calls_ended_before(session, company_id, cutoff)
