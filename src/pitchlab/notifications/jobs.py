"""The job that delivers queued email (see ``service.deliver``)."""

from __future__ import annotations

from uuid import UUID

import procrastinate

from pitchlab.jobs.queue import job, resources
from pitchlab.notifications.service import MAX_ATTEMPTS, SEND_EMAIL_JOB, deliver

__all__ = ["MAX_ATTEMPTS", "RETRY", "send_email"]

RETRY = procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=2)


@job(SEND_EMAIL_JOB, queue="email", retry=RETRY)
async def send_email(context: procrastinate.JobContext, outbox_id: str) -> None:
    deps = resources(context)
    await deliver(deps.database, deps.providers.email, deps.settings.email_from, UUID(outbox_id))
