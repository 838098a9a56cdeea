"""Producing a call's feedback: analytics, skill scores, one stored row; and reading it back."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.analysis.metrics import compute_metrics
from pitchlab.db import Database, system_context
from pitchlab.jobs.queue import defer_in_transaction
from pitchlab.models import Feedback, PracticeSession, Transcript, User
from pitchlab.practice.scenarios import get_scenario
from pitchlab.providers.llm import SkillScorer

log = logging.getLogger(__name__)

FEEDBACK_JOB = "generate_feedback"


async def queue_feedback(session: AsyncSession, session_id: UUID) -> None:
    """Queue the feedback job in the caller's transaction (at most one waiting per session)."""
    try:
        async with session.begin_nested():
            await defer_in_transaction(session, FEEDBACK_JOB, queueing_lock=f"feedback-{session_id}",
                                       session_id=str(session_id))
    except IntegrityError:
        pass  # already queued and not started: that job will do


async def generate(database: Database, scorer: SkillScorer, session_id: UUID) -> bool:
    """Compute and store the feedback. False when there is nothing (left) to do."""
    async with database.transaction(system_context("feedback")) as session:
        row = await session.get(PracticeSession, session_id)
        if row is None or row.feedback_status != "pending":
            return False
        transcript = (await session.execute(
            select(Transcript).where(Transcript.session_id == session_id)
        )).scalar_one_or_none()
        user = await session.get(User, row.user_id)
        turns = list(transcript.turns) if transcript else []
        duration = (row.ended_at - row.started_at).total_seconds() if row.ended_at else None
    scenario = get_scenario(row.scenario_id)
    metrics = {**compute_metrics(turns, duration, mode=row.mode),
               "call_type": scenario.call_type if scenario else None}
    scoring = await scorer.score(turns, metrics, user)  # outside any transaction: it may be slow
    body: dict[str, Any] = {**metrics, "scored_by": scoring.scored_by,
                            "rubric_version": scoring.rubric_version, **scoring.result}
    async with database.transaction(system_context("feedback")) as session:
        await session.execute(
            insert(Feedback)
            .values(session_id=session_id, company_id=row.company_id, metrics=body,
                    scored_by=scoring.scored_by, rubric_version=scoring.rubric_version,
                    raw_output=scoring.raw_output)
            .on_conflict_do_update(
                index_elements=["session_id"],
                set_={"metrics": body, "scored_by": scoring.scored_by,
                      "rubric_version": scoring.rubric_version, "raw_output": scoring.raw_output},
            )
        )
        await session.execute(
            text("UPDATE sessions SET feedback_status = 'ready', feedback_error = NULL"
                 " WHERE id = :id"), {"id": session_id})
    return True


async def mark_failed(database: Database, session_id: UUID, reason: str) -> None:
    async with database.transaction(system_context("feedback")) as session:
        await session.execute(
            text("UPDATE sessions SET feedback_status = 'failed', feedback_error = :reason"
                 " WHERE id = :id AND feedback_status = 'pending'"),
            {"id": session_id, "reason": reason[:500]},
        )


async def requeue_stranded(database: Database, older_than_seconds: float) -> int:
    """Feedback left pending with no job to produce it (a crash between commit and queue, a
    job lost with its worker) is queued again."""
    async with database.transaction(system_context("feedback_sweep")) as session:
        stranded = (await session.execute(text(
            """
            SELECT s.id FROM sessions s
            WHERE s.feedback_status = 'pending'
              AND s.ended_at < now() - make_interval(secs => CAST(:age AS double precision))
              AND NOT EXISTS (
                SELECT 1 FROM procrastinate_jobs j
                WHERE j.task_name = :task AND j.args->>'session_id' = s.id::text
                  AND j.status IN ('todo', 'doing'))
            """), {"age": older_than_seconds, "task": FEEDBACK_JOB})).scalars().all()
        for session_id in stranded:
            await queue_feedback(session, session_id)
    if stranded:
        log.info("re-queued feedback for %d session(s)", len(stranded))
    return len(stranded)


async def feedback_of(session: AsyncSession, session_id: UUID) -> Feedback | None:
    return (await session.execute(
        select(Feedback).where(Feedback.session_id == session_id)
    )).scalar_one_or_none()
