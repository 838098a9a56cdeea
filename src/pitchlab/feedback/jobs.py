"""Feedback jobs: generate after each completed call (retried, then marked failed with the
reason), and a sweep that re-queues feedback a crash left pending."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import procrastinate

from pitchlab import metrics as app_metrics
from pitchlab.alerts.jobs import job_out_of_retries
from pitchlab.feedback import service
from pitchlab.jobs.queue import job, resources
from pitchlab.kit.events import subscriber
from pitchlab.practice.events import SessionCompleted

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
SWEEP_JOB = "requeue_stranded_feedback"
RETENTION_JOB = "purge_expired_calls"
# A job "doing" this long after the call ended is presumed lost with its worker.
STRANDED_AFTER_SECONDS = 120


@subscriber(SessionCompleted, name=service.FEEDBACK_JOB, queue="feedback",
            retry=procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=2))
async def generate_feedback(context: procrastinate.JobContext, event: SessionCompleted) -> None:
    deps = resources(context)
    try:
        await service.generate(deps.database, deps.providers.scorer, event.session_id,
                               deps.settings)
    except Exception as exc:
        attempt = (context.job.attempts or 0) + 1
        if attempt >= MAX_ATTEMPTS:
            app_metrics.feedback_job("failed")
            # the client gets a reason it can show; the detail (maybe SQL, maybe a vendor's
            # message) stays in the log
            log.error("feedback for %s failed for good", event.session_id, exc_info=exc)
            await service.mark_failed(deps.database, event.session_id,
                                      f"scoring failed after {MAX_ATTEMPTS} attempts")
            # handled, so the queue's out-of-retries hook never sees it: tell the operators here
            await job_out_of_retries(service.FEEDBACK_JOB, exc, deps)
            return
        app_metrics.feedback_job("retried")
        raise
    app_metrics.feedback_job("succeeded")


@job(SWEEP_JOB, queue="sweeps", periodic_cron="* * * * *")
async def requeue_stranded_feedback(
    context: procrastinate.JobContext, timestamp: int  # noqa: ARG001 (the tick, unused)
) -> None:
    await service.requeue_stranded(resources(context).database, STRANDED_AFTER_SECONDS)


@job(RETENTION_JOB, queue="sweeps", periodic_cron="17 * * * *")
async def purge_expired_calls(context: procrastinate.JobContext, timestamp: int) -> None:
    """Hourly: transcripts and feedback past their company's retention are deleted."""
    deps = resources(context)
    await service.purge_expired(deps.database, deps.settings.retention_days,
                                datetime.fromtimestamp(timestamp, UTC))
