"""SQL for the signed-in user's own data: consents, stored API keys, erasure, and the reads of
the GDPR export."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import Consent, Feedback, PracticeSession, Transcript, UsageRecord, User


async def save(session: AsyncSession, user: User) -> None:
    session.add(user)
    await session.flush()


async def delete_user(session: AsyncSession, user: User) -> None:
    """The row and, by cascade, sessions, transcripts, feedback, consents and tokens."""
    await session.delete(user)
    await session.flush()


async def count_members(session: AsyncSession, company_id: UUID) -> int:
    result = await session.scalar(
        select(func.count()).select_from(User).where(User.company_id == company_id)
    )
    return int(result or 0)


async def users_with_api_keys(session: AsyncSession) -> Sequence[User]:
    """Every user holding a stored key, locked until commit (the key rotation rewrites them)."""
    result = await session.execute(
        select(User).where(User.api_keys.is_not(None)).with_for_update()
    )
    return result.scalars().all()


# --- consents (append-only: the latest row per kind is the user's answer) ---------------------

async def add_consent(session: AsyncSession, consent: Consent) -> Consent:
    session.add(consent)
    await session.flush()
    return consent


async def latest_consents(session: AsyncSession, user_id: UUID) -> Sequence[Consent]:
    result = await session.execute(
        select(Consent)
        .where(Consent.user_id == user_id)
        .ext(distinct_on(Consent.kind))
        .order_by(Consent.kind, Consent.created_at.desc(), Consent.id.desc())
    )
    return result.scalars().all()


async def consent_history(session: AsyncSession, user_id: UUID) -> Sequence[Consent]:
    result = await session.execute(
        select(Consent).where(Consent.user_id == user_id).order_by(Consent.created_at)
    )
    return result.scalars().all()


# --- the GDPR export's reads of other domains' tables ------------------------------------------
# These belong to practice (sessions, transcripts), feedback and billing (usage): each moves to
# that domain's repository, behind a service function, once those domains expose one.

async def sessions_of(session: AsyncSession, user_id: UUID) -> Sequence[PracticeSession]:
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


async def feedback_of(session: AsyncSession, session_ids: Sequence[UUID]) -> Sequence[Feedback]:
    result = await session.execute(select(Feedback).where(Feedback.session_id.in_(session_ids)))
    return result.scalars().all()


async def usage_of(session: AsyncSession, user_id: UUID) -> Sequence[UsageRecord]:
    result = await session.execute(select(UsageRecord).where(UsageRecord.user_id == user_id))
    return result.scalars().all()
