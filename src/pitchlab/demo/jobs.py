"""The job that retries a demo booking while Calendly is down, and the Calendly webhook handlers
(invitee.created / invitee.canceled) that keep a booking's status in step with Calendly."""

from __future__ import annotations

from uuid import UUID

import procrastinate

from pitchlab.demo.service import BOOK_DEMO_JOB, retry_booking
from pitchlab.demo.webhooks import invitee_canceled, invitee_created
from pitchlab.jobs.queue import job, resources

__all__ = ["RETRY", "book_demo", "invitee_canceled", "invitee_created"]

# About a day of tries: 2 s, 4 s, 8 s ... doubling, 16 attempts.
RETRY = procrastinate.RetryStrategy(max_attempts=16, exponential_wait=2)


@job(BOOK_DEMO_JOB, retry=RETRY)
async def book_demo(context: procrastinate.JobContext, booking_id: str) -> None:
    deps = resources(context)
    await retry_booking(deps.database, deps.providers.scheduling, UUID(booking_id))
