"""Billing's jobs: the emails of a minutes notice once the charge that claimed it commits, and
the sweep that tells a company's admins their trial is ending, or has ended."""

from __future__ import annotations

from datetime import UTC, datetime

import procrastinate

from pitchlab.billing import service
from pitchlab.billing.events import MinutesRunningOut
from pitchlab.db import tenant_context
from pitchlab.jobs.queue import job, resources
from pitchlab.kit.events import subscriber

MINUTES_NOTICE_JOB = "email_minutes_running_out"
TRIAL_NOTICES_JOB = "send_trial_notices"
# Four times an hour: a trial's end is told within 15 minutes, at the cost of two queries.
TRIAL_NOTICES_CRON = "*/15 * * * *"


@subscriber(MinutesRunningOut, name=MINUTES_NOTICE_JOB, queue="email",
            retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2))
async def email_minutes_running_out(
    context: procrastinate.JobContext, event: MinutesRunningOut
) -> None:
    deps = resources(context)
    async with deps.database.transaction(tenant_context(event.company_id)) as session:
        await service.email_minutes_running_out(session, deps.settings.link_base(), event)


@job(TRIAL_NOTICES_JOB, queue="sweeps", periodic_cron=TRIAL_NOTICES_CRON)
async def send_trial_notices(
    context: procrastinate.JobContext, timestamp: int  # noqa: ARG001 (the tick, unused)
) -> None:
    deps = resources(context)
    await service.send_trial_notices(
        deps.database, deps.settings.link_base(), deps.settings.trial_warning_days,
        datetime.now(UTC),
    )
