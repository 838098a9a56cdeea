"""SQL of the readiness check."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def schema_revision(session: AsyncSession) -> str | None:
    """The migration the database is at (Alembic's record), None before the first."""
    result = await session.execute(text("SELECT version_num FROM alembic_version"))
    revision: str | None = result.scalar_one_or_none()
    return revision
