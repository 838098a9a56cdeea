"""SQL for the signed-in user's own data: consents, stored API keys, erasure, and the reads of
the GDPR export."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import User


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
