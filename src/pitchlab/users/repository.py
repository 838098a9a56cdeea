"""SQL for the users table."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import User
from pitchlab.security.emails import canonical_email


async def find_by_email(session: AsyncSession, email: str) -> User | None:
    """The account of an address, compared on its canonical form (lookalikes find the same
    account). Rows without one (raw SQL, lookalikes the migration found) match exactly."""
    exact = func.lower(User.email) == email.lower()
    result = await session.execute(
        select(User)
        .where(or_(User.email_canonical == canonical_email(email),
                   and_(User.email_canonical.is_(None), exact)))
        .order_by(exact.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def get(session: AsyncSession, user_id: UUID) -> User | None:
    return await session.get(User, user_id)
