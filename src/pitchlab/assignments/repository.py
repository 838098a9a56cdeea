"""Queries of ``assignments``, and the one definition of an assignment's progress.

Progress is read from the rep's calls, never stored: a call counts for an assignment when the
assigned rep completed it in the assigned scenario at or after the assignment was made and its
feedback has a score. ``best_score`` is the highest such score; ``completed_at`` is when the
first such call scoring at least the target (any score, without a target) ended. A late call
still completes an assignment (``due_at`` only says it is overdue). Every query names the
company too, on top of row-level security.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from pitchlab.models import Assignment, Feedback, PracticeSession
from pitchlab.models.values import SessionStatus


def progress(company_id: UUID, *conditions: ColumnElement[bool]) -> Select[
    Assignment, Decimal | None, datetime | None
]:
    """``(Assignment, best_score, completed_at)`` of the company's assignments matching
    ``conditions``, oldest first."""
    counts = and_(
        PracticeSession.company_id == Assignment.company_id,
        PracticeSession.user_id == Assignment.user_id,
        PracticeSession.scenario_id == Assignment.scenario_id,
        PracticeSession.status == SessionStatus.COMPLETED,
        PracticeSession.ended_at >= Assignment.created_at,
    )
    reached = Feedback.score >= func.coalesce(Assignment.target_score, 1)
    return (
        select(
            Assignment,
            func.max(Feedback.score).label("best_score"),
            func.min(PracticeSession.ended_at).filter(reached).label("completed_at"),
        )
        .outerjoin(PracticeSession, counts)
        .outerjoin(Feedback, and_(Feedback.session_id == PracticeSession.id,
                                  Feedback.score.is_not(None)))
        .where(Assignment.company_id == company_id, *conditions)
        .group_by(Assignment.id)
        .order_by(Assignment.created_at, Assignment.id)
    )


async def page(
    session: AsyncSession, company_id: UUID, *conditions: ColumnElement[bool],
    status: str | None, now: datetime, after: tuple[datetime, UUID] | None, limit: int,
) -> list[tuple[Assignment, Decimal | None, datetime | None]]:
    """A page of the company's assignments with their progress, oldest first, after the keyset
    ``after`` (created_at, id); ``status`` open, completed or overdue (as of ``now``)."""
    if after is not None:
        created, last_id = after
        conditions += (or_(Assignment.created_at > created,
                           and_(Assignment.created_at == created, Assignment.id > last_id)),)
    query = progress(company_id, *conditions).limit(limit)
    completed_at = query.selected_columns.completed_at  # an aggregate: HAVING names it
    late = and_(Assignment.due_at.is_not(None), Assignment.due_at < now)
    if status == "completed":
        query = query.having(completed_at.is_not(None))
    elif status == "open":
        query = query.having(completed_at.is_(None)).where(not_(late))
    elif status == "overdue":
        query = query.having(completed_at.is_(None)).where(late)
    return [(row[0], row[1], row[2]) for row in (await session.execute(query)).all()]


async def upsert(
    session: AsyncSession, company_id: UUID, scenario_id: str, user_ids: Sequence[UUID],
    due_at: datetime | None, target_score: Decimal | None,
) -> list[UUID]:
    """One assignment per rep: a rep who has this scenario already keeps their row (and the
    calls since it was made), with the new due date and target. The rows' ids."""
    rows = [{"company_id": company_id, "scenario_id": scenario_id, "user_id": user_id,
             "due_at": due_at, "target_score": target_score} for user_id in user_ids]
    new = insert(Assignment).values(rows)
    upserted = new.on_conflict_do_update(
        constraint="assignments_scenario_user_key",
        set_={"due_at": new.excluded.due_at, "target_score": new.excluded.target_score},
        where=Assignment.company_id == company_id,
    ).returning(Assignment.id)
    return list((await session.execute(upserted)).scalars())


async def delete(session: AsyncSession, company_id: UUID, assignment_id: UUID) -> bool:
    """Withdraw an assignment; False when the company has none with this id."""
    result = await session.execute(
        sa_delete(Assignment)
        .where(Assignment.id == assignment_id, Assignment.company_id == company_id)
        .returning(Assignment.id)
    )
    return result.scalar_one_or_none() is not None
