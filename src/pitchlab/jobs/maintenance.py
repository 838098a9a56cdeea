"""Keeping the queue itself healthy."""

from __future__ import annotations

import logging

import procrastinate

from pitchlab.jobs.queue import job

log = logging.getLogger(__name__)

RETRY_STALLED_JOB = "retry_stalled_jobs"


async def retry_stalled(job_manager) -> int:
    """Jobs left "doing" by a worker that died (no heartbeat for 30 s) are run again."""
    stalled = list(await job_manager.get_stalled_jobs())
    for stalled_job in stalled:
        await job_manager.retry_job(stalled_job)
    if stalled:
        log.warning("re-queued %d job(s) whose worker stopped", len(stalled))
    return len(stalled)


@job(RETRY_STALLED_JOB, queue="sweeps", periodic_cron="* * * * *")
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    await retry_stalled(context.app.job_manager)
