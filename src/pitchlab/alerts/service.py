"""Alerts: a critical failure is logged, and told to ``PITCHLAB_ALERT_EMAIL`` (through the email
outbox) and/or ``PITCHLAB_ALERT_SLACK_WEBHOOK_URL`` (by a job), at most once per key per
``PITCHLAB_ALERT_MIN_INTERVAL_SECONDS``: an outage that fails a thousand jobs sends one message,
and the next one after the interval says how many were held back.

The rate limit lives in PostgreSQL (``alert_states``), which every API process and worker share,
Redis or not. The message goes out in the transaction that decided it was due, so a crash
cannot lose it or send it twice.

Summaries name what failed and how (a job's name, an exception's type), never the error's text:
that may hold an address, a token or a transcript.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pitchlab.alerts import repository
from pitchlab.config import Settings
from pitchlab.db import Database, system_context
from pitchlab.jobs.queue import defer_in_transaction
from pitchlab.models.values import EmailKind
from pitchlab.notifications.service import queue_email
from pitchlab.notifications.templates import ComposedEmail

log = logging.getLogger(__name__)

SLACK_JOB = "send_slack_alert"


@dataclass(frozen=True)
class Alert:
    key: str  # what is rate-limited together ("job_failed:send_email")
    summary: str  # one line for a human; no personal data, no secrets


async def raise_alert(
    database: Database, settings: Settings, alert: Alert, *, now: datetime | None = None
) -> bool:
    """Report ``alert``; returns whether a message was queued (False: held back, or no
    destination configured)."""
    log.error("alert %s: %s", alert.key, alert.summary)
    if not settings.alert_email and settings.alert_slack_webhook_url is None:
        return False
    now = now or datetime.now(UTC)
    interval = timedelta(seconds=settings.alert_min_interval_seconds)
    async with database.transaction(system_context("alerts")) as session:
        decision = await repository.record_alert(session, alert.key, now, interval)
        if not decision.due:
            return False
        message = compose(settings, alert, decision.held_back)
        if settings.alert_email:
            await queue_email(session, settings.alert_email, _email(alert, message))
        if settings.alert_slack_webhook_url is not None:
            # The webhook's URL is a credential: the job reads it from its settings, never
            # from its stored arguments.
            await defer_in_transaction(session, SLACK_JOB, text=message)
    return True


async def provider_failed(
    database: Database, settings: Settings, provider: str, *, now: datetime | None = None
) -> bool:
    """Count a failed call to ``provider``. Once its failures have gone on, with no pause
    longer than ``PITCHLAB_ALERT_PROVIDER_DOWN_SECONDS``, for that long, it is reported down.
    Returns whether a message was queued."""
    now = now or datetime.now(UTC)
    window = timedelta(seconds=settings.alert_provider_down_seconds)
    async with database.transaction(system_context("alerts")) as session:
        failing_since = await repository.record_failure(
            session, f"provider_failures:{provider}", now, window
        )
    if now - failing_since < window:
        return False
    minutes = max(1, round((now - failing_since).total_seconds() / 60))
    return await raise_alert(database, settings, Alert(
        key=f"provider_down:{provider}",
        summary=f"{provider} has been failing for {minutes} min",
    ), now=now)


def provider_failure_reporter(database: Database, settings: Settings) -> Callable[[str], None]:
    """What the app's metrics call on each failed vendor call (Stripe, ElevenLabs, Resend,
    Calendly, OpenAI): the failure is counted toward "down" in a task of its own, because the
    request that saw it may roll back (a 503 ``billing_unavailable``) and must not wait."""
    running: set[asyncio.Task[bool]] = set()

    def report(provider: str) -> None:
        task = asyncio.get_running_loop().create_task(
            provider_failed(database, settings, provider))
        running.add(task)  # held until done: a task nobody holds may vanish mid-way
        task.add_done_callback(lambda done: _forget(running, done))

    return report


def _forget(running: set[asyncio.Task[bool]], done: asyncio.Task[bool]) -> None:
    running.discard(done)
    if not done.cancelled() and done.exception() is not None:
        log.warning("counting a provider failure failed", exc_info=done.exception())


def compose(settings: Settings, alert: Alert, held_back: int) -> str:
    text = f"[Pitchlab {settings.sentry_environment}] {alert.summary}"
    if held_back:
        text += f" (and {held_back} more since the last message)"
    return text


def _email(alert: Alert, message: str) -> ComposedEmail:
    return ComposedEmail(
        kind=EmailKind.OPERATIONS_ALERT,
        subject=f"Pitchlab alert: {alert.summary}"[:200],
        text=message,
        html=f"<p>{html.escape(message)}</p>",
        links=(),
    )
