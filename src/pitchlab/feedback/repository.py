"""SQL for the feedback reports, and for the queue's view of feedback jobs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete as sa_delete
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import Feedback, PracticeSession


async def save_feedback(
    session: AsyncSession, *, session_id: UUID, company_id: UUID, metrics: dict[str, Any],
    scored_by: str, rubric_version: str, raw_output: dict[str, Any] | None,
    score: Decimal | None,
) -> None:
    """The call's one report; producing it again replaces it."""
    produced = {"metrics": metrics, "scored_by": scored_by, "rubric_version": rubric_version,
                "raw_output": raw_output, "score": score}
    await session.execute(
        insert(Feedback)
        .values(session_id=session_id, company_id=company_id, **produced)
        .on_conflict_do_update(index_elements=["session_id"], set_=produced)
    )


async def feedback_of(session: AsyncSession, session_id: UUID) -> Feedback | None:
    return (await session.execute(
        select(Feedback).where(Feedback.session_id == session_id)
    )).scalar_one_or_none()


_LIVE_JOBS = text(
    """
    SELECT DISTINCT CAST(args->>'session_id' AS uuid) FROM procrastinate_jobs
    WHERE task_name = :task AND status IN ('todo', 'doing')
      AND args->>'session_id' = ANY(CAST(:session_ids AS text[]))
    """
)


async def sessions_with_live_job(
    session: AsyncSession, task: str, session_ids: Sequence[UUID]
) -> set[UUID]:
    """Those of ``session_ids`` with a ``task`` job waiting or running."""
    if not session_ids:
        return set()
    found = await session.execute(
        _LIVE_JOBS, {"task": task, "session_ids": [str(i) for i in session_ids]}
    )
    return set(found.scalars())


async def feedback_of_sessions(
    session: AsyncSession, session_ids: Sequence[UUID]
) -> Sequence[Feedback]:
    result = await session.execute(select(Feedback).where(Feedback.session_id.in_(session_ids)))
    return result.scalars().all()


async def delete_reports_of_calls_ended_before(
    session: AsyncSession, company_id: UUID, cutoff: datetime
) -> int:
    """The reports of the company's calls that ended before ``cutoff``; how many."""
    result = await session.execute(
        sa_delete(Feedback).where(
            Feedback.company_id == company_id,
            Feedback.session_id.in_(
                select(PracticeSession.id).where(
                    PracticeSession.company_id == company_id, PracticeSession.ended_at < cutoff
                )
            ),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
