"""Handling inbox events, retried with backoff: 3 s, 9 s, 27 s, ... about 8 hours in all. After
the last try the event is ``failed`` (with its error) until the provider delivers it again."""

from __future__ import annotations

from uuid import UUID

import procrastinate

from pitchlab.jobs.queue import job, resources
from pitchlab.webhooks import service

# Retries after the first try; procrastinate counts them in the job's ``attempts``.
MAX_RETRIES = 9
RETRY = procrastinate.RetryStrategy(max_attempts=MAX_RETRIES, exponential_wait=3)


@job(service.HANDLE_EVENT_JOB, queue="webhooks", retry=RETRY)
async def handle_webhook_event(context: procrastinate.JobContext, inbox_id: str) -> None:
    last_try = (context.job.attempts or 0) >= MAX_RETRIES
    await service.handle(resources(context), UUID(inbox_id), last_try=last_try)
