"""SQL for practice sessions, their transcripts and stream tickets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import Consent, PracticeSession, StreamTicket, Transcript
from pitchlab.models.values import FeedbackStatus, SessionMode, SessionStatus, Turn
from pitchlab.scenarios.library import REAL_CALL

_LIVE = PracticeSession.status == SessionStatus.IN_PROGRESS


def _seconds(seconds: float) -> ColumnElement[Any]:
    return func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def add_session(
    session: AsyncSession, *, user_id: UUID, company_id: UUID, scenario_id: str,
    mode: SessionMode,
) -> PracticeSession:
    """Insert a live call. Raises IntegrityError (the one-live-call index) when the user has one
    already: the caller decides what that means."""
    row = PracticeSession(user_id=user_id, company_id=company_id, scenario_id=scenario_id,
                          mode=mode, status=SessionStatus.IN_PROGRESS)
    session.add(row)
    await session.flush()
    return row


async def add_real_call(
    session: AsyncSession, *, user_id: UUID, company_id: UUID, language: str | None,
    scorecard_id: UUID | None, started_at: datetime, ended_at: datetime, turns: list[Turn],
    text: str,
) -> PracticeSession:
    """Insert a call that already happened (an uploaded recording): completed, never billed in
    practice minutes, its transcript whole, its feedback pending."""
    row = PracticeSession(user_id=user_id, company_id=company_id, scenario_id=REAL_CALL,
                          mode=SessionMode.RECORDING, status=SessionStatus.COMPLETED,
                          started_at=started_at, ended_at=ended_at, last_activity_at=ended_at,
                          feedback_status=FeedbackStatus.PENDING, language=language,
                          scorecard_id=scorecard_id)
    session.add(row)
    await session.flush()
    session.add(Transcript(session_id=row.id, company_id=company_id, transcript_text=text,
                           turns=turns))
    await session.flush()
    return row


async def delete_real_call(session: AsyncSession, session_id: UUID) -> None:
    await session.execute(sa_delete(PracticeSession).where(
        PracticeSession.id == session_id, PracticeSession.mode == SessionMode.RECORDING))


async def add_transcript(session: AsyncSession, row: PracticeSession) -> None:
    session.add(Transcript(session_id=row.id, company_id=row.company_id, transcript_text="",
                           turns=[]))


async def live_session_of(
    session: AsyncSession, user_id: UUID, *, for_update: bool = False
) -> PracticeSession | None:
    query = select(PracticeSession).where(PracticeSession.user_id == user_id, _LIVE)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def feedback_statuses(session: AsyncSession, session_ids: Sequence[UUID]
                            ) -> dict[UUID, FeedbackStatus | None]:
    rows = await session.execute(select(PracticeSession.id, PracticeSession.feedback_status)
                                 .where(PracticeSession.id.in_(session_ids)))
    return {row.id: row.feedback_status for row in rows}


async def find_session(
    session: AsyncSession, session_id: UUID, *, user_id: UUID | None, for_update: bool = False
) -> PracticeSession | None:
    """The session if the caller may see it: ``user_id`` limits it to one rep's own calls (None
    for admins, whose company the row-level security already pins)."""
    query = select(PracticeSession).where(PracticeSession.id == session_id)
    if user_id is not None:
        query = query.where(PracticeSession.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_sessions(
    session: AsyncSession, *, user_id: UUID | None, after: tuple[datetime, UUID] | None, limit: int
) -> list[PracticeSession]:
    query = select(PracticeSession).order_by(
        PracticeSession.started_at.desc(), PracticeSession.id.desc()
    ).limit(limit)
    if user_id is not None:
        query = query.where(PracticeSession.user_id == user_id)
    if after is not None:
        started, last_id = after
        query = query.where(or_(
            PracticeSession.started_at < started,
            and_(PracticeSession.started_at == started, PracticeSession.id < last_id),
        ))
    return list((await session.execute(query)).scalars())


async def transcript_of(
    session: AsyncSession, session_id: UUID, *, for_update: bool = False
) -> Transcript | None:
    query = select(Transcript).where(Transcript.session_id == session_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def live_transcript(session: AsyncSession, session_id: UUID) -> Transcript:
    """A live call's transcript (created with the call), locked for a new turn."""
    return (await session.execute(
        select(Transcript).where(Transcript.session_id == session_id).with_for_update()
    )).scalar_one()


async def save_live_turns(
    session: AsyncSession, session_id: UUID, turns: list[Turn]
) -> bool:
    """Store a live call's turns. False, and nothing stored, when the call is no longer in
    progress or, for a voice call, the rep's latest voice_recording consent is not a grant."""
    consent = (
        select(Consent.granted)
        .where(Consent.user_id == PracticeSession.user_id, Consent.kind == "voice_recording")
        .order_by(Consent.created_at.desc(), Consent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    recording = (
        select(PracticeSession.id)
        .where(PracticeSession.id == session_id, _LIVE,
               or_(PracticeSession.mode == SessionMode.TEXT, func.coalesce(consent, False)))
        .exists()
    )
    result = await session.execute(
        update(Transcript)
        .where(Transcript.session_id == session_id, recording)
        .values(turns=turns)
        .returning(Transcript.session_id)
    )
    return result.scalar_one_or_none() is not None


def save_turns(transcript: Transcript, turns: list[Turn]) -> None:
    transcript.turns = turns  # a new list: SQLAlchemy notices the change


async def touch(session: AsyncSession, session_id: UUID) -> bool:
    """Heartbeat: the session is alive. False when it is not in progress any more."""
    result = await session.execute(
        update(PracticeSession)
        .where(PracticeSession.id == session_id, _LIVE)
        .values(last_activity_at=func.now())
        .returning(PracticeSession.id)
    )
    return result.scalar_one_or_none() is not None


# --- feedback's progress, kept on the session ----------------------------------------------------

async def feedback_ready(session: AsyncSession, session_id: UUID) -> None:
    await session.execute(
        update(PracticeSession)
        .where(PracticeSession.id == session_id)
        .values(feedback_status=FeedbackStatus.READY, feedback_error=None)
    )


async def feedback_failed(session: AsyncSession, session_id: UUID, reason: str) -> None:
    """Only feedback still pending fails: a ready report is not taken back."""
    await session.execute(
        update(PracticeSession)
        .where(PracticeSession.id == session_id,
               PracticeSession.feedback_status == FeedbackStatus.PENDING)
        .values(feedback_status=FeedbackStatus.FAILED, feedback_error=reason)
    )


async def awaiting_feedback(
    session: AsyncSession, ended_seconds_ago: float
) -> list[PracticeSession]:
    """Calls whose feedback is still pending although they ended this long ago."""
    result = await session.execute(
        select(PracticeSession).where(
            PracticeSession.feedback_status == FeedbackStatus.PENDING,
            PracticeSession.ended_at < func.now() - _seconds(ended_seconds_ago),
        )
    )
    return list(result.scalars())


async def add_ticket(
    session: AsyncSession, *, session_id: UUID, user_id: UUID, token_hash: str,
    expires_at: datetime,
) -> None:
    session.add(StreamTicket(session_id=session_id, user_id=user_id, token_hash=token_hash,
                             expires_at=expires_at))
    await session.flush()


async def spend_ticket(session: AsyncSession, token_hash: str, session_id: UUID) -> UUID | None:
    """The ticket's user, if the ticket is live and for this session; it is spent either way."""
    result = await session.execute(
        update(StreamTicket)
        .where(
            StreamTicket.token_hash == token_hash,
            StreamTicket.session_id == session_id,
            StreamTicket.used_at.is_(None),
            StreamTicket.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(StreamTicket.user_id)
    )
    return result.scalar_one_or_none()


async def idle_sessions(session: AsyncSession, idle_seconds: float) -> list[PracticeSession]:
    result = await session.execute(
        select(PracticeSession)
        .where(_LIVE, PracticeSession.last_activity_at < func.now() - _seconds(idle_seconds))
        .with_for_update(skip_locked=True)
    )
    return list(result.scalars())


async def sessions_of_user(session: AsyncSession, user_id: UUID) -> Sequence[PracticeSession]:
    result = await session.execute(
        select(PracticeSession).where(PracticeSession.user_id == user_id)
        .order_by(PracticeSession.started_at)
    )
    return result.scalars().all()


async def transcripts_of(
    session: AsyncSession, session_ids: Sequence[UUID]
) -> Sequence[Transcript]:
    result = await session.execute(
        select(Transcript).where(Transcript.session_id.in_(session_ids))
    )
    return result.scalars().all()


async def delete_transcripts_of_calls_ended_before(
    session: AsyncSession, company_id: UUID, cutoff: datetime
) -> int:
    """The transcripts of the company's calls that ended before ``cutoff``; how many."""
    result = await session.execute(
        sa_delete(Transcript).where(
            Transcript.company_id == company_id,
            Transcript.session_id.in_(
                select(PracticeSession.id).where(
                    PracticeSession.company_id == company_id, PracticeSession.ended_at < cutoff
                )
            ),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
