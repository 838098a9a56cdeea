"""Consent rules: record an answer, read the current ones, ask whether one is granted."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.consents import repository
from pitchlab.models import Consent
from pitchlab.models.values import ConsentKind


async def record(session: AsyncSession, consent: Consent) -> Consent:
    """Append an answer: earlier ones stay, as the record of what was agreed when."""
    return await repository.add(session, consent)


async def current(session: AsyncSession, user_id: UUID) -> Sequence[Consent]:
    """The user's latest answer for each kind they were asked."""
    return await repository.latest_per_kind(session, user_id)


async def is_granted(session: AsyncSession, user_id: UUID, kind: ConsentKind) -> bool:
    return await repository.latest_answer(session, user_id, kind)


async def is_withdrawn(session: AsyncSession, user_id: UUID, kind: ConsentKind) -> bool:
    """The user said no to ``kind`` (their latest answer), as opposed to never being asked."""
    return await repository.latest_record(session, user_id, kind) is False


async def history(session: AsyncSession, user_id: UUID) -> Sequence[Consent]:
    """Every answer, oldest first (the GDPR export)."""
    return await repository.history(session, user_id)
