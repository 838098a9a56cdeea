"""Producing a call's feedback: analytics, skill scores, one stored row; and reading it back.

Feedback reacts to practice's ``SessionCompleted`` (``jobs.py``); the call itself, and the
feedback status kept on it, are read and written through practice's service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab import metrics as app_metrics
from pitchlab.alerts import service as alerts
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.auth import service as auth
from pitchlab.auth.dependencies import Principal
from pitchlab.companies import service as companies
from pitchlab.config import Settings
from pitchlab.consents import service as consents
from pitchlab.db import Database, system_context
from pitchlab.feedback import repository
from pitchlab.feedback.errors import FeedbackPurged, NoFeedbackForCancelledCall
from pitchlab.feedback.scoring import ScorecardUsed, overall_score, report_body
from pitchlab.jobs.queue import defer_in_transaction
from pitchlab.models import Feedback
from pitchlab.models.values import ConsentKind, FeedbackStatus, SessionStatus
from pitchlab.practice import service as practice
from pitchlab.practice.events import SessionCompleted
from pitchlab.providers.llm import LocalSkillScorer, SkillScorer
from pitchlab.scenarios import service as scenarios
from pitchlab.scorecards import service as scorecards

log = logging.getLogger(__name__)

# The job that reacts to SessionCompleted. Its name outlives deploys while jobs are queued.
FEEDBACK_JOB = "generate_feedback"
LOCAL_SCORER = LocalSkillScorer()


async def generate(
    database: Database, scorer: SkillScorer, session_id: UUID, settings: Settings | None = None
) -> bool:
    """Compute and store the feedback. False when there is nothing (left) to do. With
    ``settings``, a model that failed (the local rules stood in) counts towards its alert."""
    async with database.transaction(system_context("feedback")) as session:
        call = await practice.call_awaiting_feedback(session, session_id)
        if call is None:
            return False
        user = await auth.get_user(session, call.user_id)
        # A rep who withdrew the ai_analysis consent is scored here only: no transcript of
        # theirs leaves for OpenAI, whoever's key is configured.
        ai_withdrawn = await consents.is_withdrawn(
            session, call.user_id, ConsentKind.AI_ANALYSIS
        )
        scorecard = await _scorecard_of(session, call)
    # a real call's turn times were measured (mode None), a practice call's partly estimated
    metrics = compute_metrics(call.turns, call.duration_seconds,
                              mode=None if call.is_real_call else call.mode,
                              call_type=call.call_type, language=call.language)
    # outside any transaction: it may be slow
    scoring = await (LOCAL_SCORER if ai_withdrawn else scorer).score(
        call.turns, metrics, user, scorecard.criteria if scorecard is not None else None)
    if settings is not None and "fallback_reason" in scoring.result:
        await alerts.provider_failed(database, settings, "openai")
    body = report_body(metrics, scoring, ai_withdrawn=ai_withdrawn, scorecard=None if scorecard
                       is None else ScorecardUsed(str(scorecard.id), scorecard.name,
                                                  scorecard.version, scorecard.methodology.value),
                       source="recording" if call.is_real_call else "practice")
    async with database.transaction(system_context("feedback")) as session:
        await repository.save_feedback(
            session, session_id=session_id, company_id=call.company_id, metrics=body,
            scored_by=scoring.scored_by, rubric_version=scoring.rubric_version,
            raw_output=scoring.raw_output, score=overall_score(body),
        )
        await practice.feedback_ready(session, session_id)
    return True


async def _scorecard_of(session: AsyncSession, call: practice.EndedCall
                        ) -> scorecards.CurrentCriteria | None:
    """The current version of the scorecard the call's scenario grades on, if it has one (its
    criteria are read now: the report keeps the version it was scored on)."""
    scorecard_id = call.scorecard_id or await scenarios.scorecard_of(
        session, call.company_id, call.scenario_id)
    if scorecard_id is None:
        return None
    return await scorecards.current_criteria(session, call.company_id, scorecard_id)


async def mark_failed(database: Database, session_id: UUID, reason: str) -> None:
    async with database.transaction(system_context("feedback")) as session:
        await practice.feedback_failed(session, session_id, reason)


async def requeue_stranded(database: Database, older_than_seconds: float) -> int:
    """Feedback left pending with no job to produce it (a crash between commit and queue, a
    job lost with its worker) is queued again."""
    async with database.transaction(system_context("feedback_sweep")) as session:
        pending = await practice.completed_calls_awaiting_feedback(session, older_than_seconds)
        queued = await repository.sessions_with_live_job(
            session, FEEDBACK_JOB, [event.session_id for event in pending]
        )
        stranded = [event for event in pending if event.session_id not in queued]
        for event in stranded:
            await _queue_generation(session, event)
    if stranded:
        log.info("re-queued feedback for %d session(s)", len(stranded))
    return len(stranded)


async def purge_expired(database: Database, default_days: int, now: datetime) -> int:
    """Retention: every company's calls that ended more than its retention ago lose their
    transcript and feedback; the calls (minutes, times, status) stay as the billing record. One
    transaction per company, so one company's failure leaves the others purged. How many
    transcripts and reports went."""
    async with database.transaction(system_context("retention")) as session:
        cutoffs = await companies.retention_cutoffs(session, default_days, now)
    purged = 0
    for company_id, cutoff in cutoffs:
        try:
            async with database.transaction(system_context("retention")) as session:
                purged += await repository.delete_reports_of_calls_ended_before(
                    session, company_id, cutoff)
                purged += await practice.purge_transcripts(session, company_id, cutoff)
        except Exception:
            log.exception("retention purge failed for company %s; the next run retries",
                          company_id)
    if purged:
        log.info("retention: deleted %d transcripts and reports", purged)
    return purged


_EVENT = TypeAdapter(SessionCompleted)


async def _queue_generation(session: AsyncSession, event: SessionCompleted) -> None:
    """Queue this domain's reaction to ``event`` once more, in the caller's transaction (at
    most one waiting per session)."""
    try:
        async with session.begin_nested():
            await defer_in_transaction(session, FEEDBACK_JOB,
                                       queueing_lock=f"feedback-{event.session_id}",
                                       **_EVENT.dump_python(event, mode="json"))
        app_metrics.job_queued(FEEDBACK_JOB)
    except IntegrityError:
        pass  # already queued and not started: that job will do


# --- reading ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedbackView:
    """A call's feedback as its reader may see it."""

    status: FeedbackStatus
    metrics: dict[str, Any] | None = None
    created_at: datetime | None = None
    error: str | None = None


async def feedback_for(
    session: AsyncSession, principal: Principal, session_id: UUID
) -> FeedbackView:
    """Pending until the report is stored; then ready (with it) or failed (with why). A
    cancelled call has none."""
    row = await practice.visible_session(session, principal, session_id)
    if row.status == SessionStatus.CANCELLED:
        raise NoFeedbackForCancelledCall
    if row.feedback_status == FeedbackStatus.READY:
        stored = await repository.feedback_of(session, row.id)
        if stored is None:
            raise FeedbackPurged  # deleted under the company's retention
        return FeedbackView(FeedbackStatus.READY, metrics=stored.metrics,
                            created_at=stored.created_at)
    if row.feedback_status == FeedbackStatus.FAILED:
        return FeedbackView(FeedbackStatus.FAILED, error=row.feedback_error or "unknown error")
    return FeedbackView(FeedbackStatus.PENDING)


async def reports_of_calls(
    session: AsyncSession, session_ids: Sequence[UUID]
) -> Sequence[Feedback]:
    """The stored reports of these calls (the GDPR export)."""
    return await repository.feedback_of_sessions(session, session_ids)
