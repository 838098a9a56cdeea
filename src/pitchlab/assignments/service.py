"""Assignments: progress of the company's assignments, read by analytics too."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.assignments import repository


@dataclass(frozen=True)
class Completion:
    completed: int
    total: int


async def completion_by_rep(session: AsyncSession, company_id: UUID) -> dict[UUID, Completion]:
    """Per rep with any assignment: how many are completed, of how many."""
    progress = repository.progress(company_id).subquery()
    query = (
        select(progress.c.user_id,
               func.count(progress.c.completed_at).label("completed"),
               func.count().label("total"))
        .group_by(progress.c.user_id)
    )
    rows = (await session.execute(query)).all()
    return {row.user_id: Completion(row.completed, row.total) for row in rows}
