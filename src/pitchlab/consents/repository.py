"""SQL for consents (append-only: the latest row per kind is the user's answer)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import Consent
from pitchlab.models.values import ConsentKind


async def add(session: AsyncSession, consent: Consent) -> Consent:
    session.add(consent)
    await session.flush()
    return consent


async def latest_per_kind(session: AsyncSession, user_id: UUID) -> Sequence[Consent]:
    result = await session.execute(
        select(Consent)
        .where(Consent.user_id == user_id)
        .ext(distinct_on(Consent.kind))
        .order_by(Consent.kind, Consent.created_at.desc(), Consent.id.desc())
    )
    return result.scalars().all()


async def latest_answer(session: AsyncSession, user_id: UUID, kind: ConsentKind) -> bool:
    """The user's latest answer for ``kind``; never asked counts as no."""
    return bool(await latest_record(session, user_id, kind))


async def latest_record(session: AsyncSession, user_id: UUID, kind: ConsentKind) -> bool | None:
    """The user's latest answer for ``kind``; None when they were never asked."""
    granted: bool | None = await session.scalar(
        select(Consent.granted)
        .where(Consent.user_id == user_id, Consent.kind == kind)
        .order_by(Consent.created_at.desc(), Consent.id.desc())
        .limit(1)
    )
    return granted


async def history(session: AsyncSession, user_id: UUID) -> Sequence[Consent]:
    result = await session.execute(
        select(Consent).where(Consent.user_id == user_id).order_by(Consent.created_at)
    )
    return result.scalars().all()
