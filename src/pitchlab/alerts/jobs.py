"""Slack delivery of alerts, and the subscription to jobs that ran out of retries."""

from __future__ import annotations

import httpx
import procrastinate

from pitchlab.alerts.service import SLACK_JOB, Alert, raise_alert
from pitchlab.jobs.queue import WorkerResources, job, on_job_exhausted, resources

SLACK_TIMEOUT_SECONDS = 10.0
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2)


class SlackUnavailable(Exception):
    """Slack refused or could not be reached. Its message never names the webhook URL (a
    credential), unlike httpx's own errors."""


@job(SLACK_JOB, queue="alerts", retry=RETRY)
async def send_slack_alert(context: procrastinate.JobContext, text: str) -> None:
    settings = resources(context).settings
    if settings.alert_slack_webhook_url is None:
        return  # unset since the alert was queued
    url = settings.alert_slack_webhook_url.get_secret_value()
    try:
        async with httpx.AsyncClient(timeout=SLACK_TIMEOUT_SECONDS) as client:
            response = await client.post(url, json={"text": text})
    except httpx.HTTPError as error:
        raise SlackUnavailable(f"Slack webhook unreachable ({type(error).__name__})") from None
    if response.status_code >= 400:
        raise SlackUnavailable(f"Slack webhook answered {response.status_code}")


@on_job_exhausted
async def job_out_of_retries(name: str, error: BaseException, found: WorkerResources) -> None:
    if name == SLACK_JOB:
        return  # Slack itself failing: the email (if any) still went; no loop of alerts
    await raise_alert(found.database, found.settings, Alert(
        key=f"job_failed:{name}",
        summary=f"job {name} failed its last attempt ({type(error).__name__})",
    ))
