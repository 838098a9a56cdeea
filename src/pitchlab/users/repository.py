"""SQL for the signed-in user's own data: consents, stored API keys, erasure, and the reads of
the GDPR export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import User
from pitchlab.models.values import Role


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


async def accounts_by_id(session: AsyncSession, company_id: UUID, user_ids: Sequence[UUID]
                         ) -> list[User]:
    """The company's accounts among ``user_ids`` (disabled ones too), in one query."""
    query = select(User).where(User.id.in_(user_ids), User.company_id == company_id)
    return list((await session.execute(query)).scalars())


async def list_accounts(
    session: AsyncSession, *, company_id: UUID | None, role: Role | None,
    after: tuple[datetime, UUID] | None, limit: int,
) -> list[User]:
    """Accounts in joining order (keyset on created_at, id); ``company_id`` None means every
    company (the caller's database context still decides what is visible)."""
    query = select(User).order_by(User.created_at, User.id).limit(limit)
    if company_id is not None:
        query = query.where(User.company_id == company_id)
    if role is not None:
        query = query.where(User.role == role)
    if after is not None:
        created, last_id = after
        query = query.where(or_(
            User.created_at > created, and_(User.created_at == created, User.id > last_id)
        ))
    return list((await session.execute(query)).scalars())


async def member_counts(session: AsyncSession, company_ids: Sequence[UUID]) -> dict[UUID, int]:
    rows = await session.execute(
        select(User.company_id, func.count()).where(User.company_id.in_(company_ids))
        .group_by(User.company_id)
    )
    return {company_id: int(count) for company_id, count in rows if company_id}
