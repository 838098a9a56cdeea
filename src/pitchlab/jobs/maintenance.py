"""Keeping the queue itself healthy."""

from __future__ import annotations

import procrastinate

# retry_stalled lives beside the worker, which also calls it when it starts (the queue module
# imports none of its job modules).
from pitchlab.jobs.queue import job, retry_stalled

__all__ = ["RETRY_STALLED_JOB", "retry_stalled", "retry_stalled_jobs"]

RETRY_STALLED_JOB = "retry_stalled_jobs"


@job(RETRY_STALLED_JOB, queue="sweeps", periodic_cron="* * * * *")
async def retry_stalled_jobs(
    context: procrastinate.JobContext,
    timestamp: int,  # noqa: ARG001 - procrastinate passes a periodic job its tick by this name
) -> None:
    await retry_stalled(context.app.job_manager)
