"""Alerts: a burst of failures across concurrent callers sends one Slack message and one email;
the next message after the interval counts the ones held back; a job out of retries and a
provider down for minutes raise alerts."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from pitchlab.alerts import service
from pitchlab.alerts.jobs import job_out_of_retries
from pitchlab.db import system_context
from pitchlab.deps import context_of
from pitchlab.jobs.queue import WorkerResources, run_worker
from pitchlab.models.values import EmailKind
from pitchlab.notifications.jobs import RETRY
from pitchlab.notifications.service import queue_email
from pitchlab.notifications.templates import ComposedEmail
from tests.auth.helpers import bearer, outbox
from tests.fakes.http_server import serve_asgi
from tests.fakes.slack_server import PATH, FakeSlack

ALERT_EMAIL = "ops@pitchlab.test"


@pytest.fixture
async def slack():
    fake = FakeSlack()
    async with serve_asgi(fake.app()) as base_url:
        yield fake, base_url + PATH


@pytest.fixture
def alerting(app, slack):
    fake, url = slack
    context = context_of(app)
    settings = context.settings.model_copy(update={
        "alert_email": ALERT_EMAIL, "alert_slack_webhook_url": SecretStr(url),
        "alert_min_interval_seconds": 900.0, "alert_provider_down_seconds": 300.0,
    })
    resources = WorkerResources(settings, context.database, context.providers)

    async def drain(with_resources: WorkerResources = resources) -> None:
        """Run every job that is due, as a worker would, then return."""
        await run_worker(context.jobs, with_resources, wait=False, install_signal_handlers=False)

    return fake, resources, drain


async def test_a_burst_of_failures_sends_one_message(alerting, owner_url) -> None:
    fake, resources, drain = alerting
    error = RuntimeError("customer rep.private@example.com")
    await asyncio.gather(*(
        job_out_of_retries("handle_webhook_event", error, resources) for _ in range(50)
    ))
    await drain()

    assert len(fake.received) == 1
    text = fake.received[0]["text"]
    assert "handle_webhook_event" in text and "RuntimeError" in text
    assert "rep.private" not in text  # the error's text is never sent
    emails = [m for m in outbox(owner_url, ALERT_EMAIL) if m["kind"] == "operations_alert"]
    assert len(emails) == 1


async def test_the_next_message_counts_those_held_back(alerting) -> None:
    fake, resources, drain = alerting
    alert = service.Alert(key="job_failed:send_email", summary="job send_email failed")
    start = datetime.now(UTC)
    sent = [await service.raise_alert(resources.database, resources.settings, alert,
                                      now=start + timedelta(seconds=i)) for i in range(5)]
    later = await service.raise_alert(resources.database, resources.settings, alert,
                                      now=start + timedelta(seconds=901))
    await drain()

    assert sent == [True, False, False, False, False]
    assert later is True
    assert [m["text"].endswith("(and 4 more since the last message)")
            for m in fake.received] == [False, True]


async def test_a_provider_failing_for_minutes_is_reported_down(alerting) -> None:
    fake, resources, drain = alerting
    start = datetime.now(UTC)
    # every minute for six minutes; down after five
    outcomes = [await service.provider_failed(resources.database, resources.settings, "openai",
                                              now=start + timedelta(minutes=m))
                for m in range(7)]
    await drain()

    assert outcomes == [False] * 5 + [True, False]
    assert len(fake.received) == 1
    assert "openai has been failing for 5 min" in fake.received[0]["text"]


async def test_failures_with_long_pauses_are_not_an_outage(alerting) -> None:
    _fake, resources, _drain = alerting
    start = datetime.now(UTC)
    outcomes = [await service.provider_failed(resources.database, resources.settings, "stripe",
                                              now=start + timedelta(minutes=6 * m))
                for m in range(4)]
    assert outcomes == [False] * 4


class DownSender:
    """An email provider that always fails."""

    name = "down"
    local_mailbox = True

    async def send(self, message) -> str:
        raise ConnectionError("provider down")


async def test_a_job_out_of_retries_raises_an_alert(alerting, owner_conn) -> None:
    fake, resources, drain = alerting
    async with resources.database.transaction(system_context("test")) as session:
        await queue_email(session, "someone@example.com", ComposedEmail(
            kind=EmailKind.VERIFY_EMAIL, subject="hi", text="hi", html="<p>hi</p>", links=()))
    # its retries already spent: the next failure is its last
    await owner_conn.execute("UPDATE procrastinate_jobs SET attempts = %s"
                             " WHERE task_name = 'send_email'", (RETRY.max_attempts,))
    failing = dataclasses.replace(resources, providers=dataclasses.replace(
        resources.providers, email=DownSender()))
    await drain(failing)  # the email fails for good; the alert's own email is retried later
    await drain()

    assert len(fake.received) == 1
    assert "send_email failed its last attempt (ConnectionError)" in fake.received[0]["text"]


async def test_stripe_down_through_the_api_raises_a_provider_alert(owner_url, tmp_path):
    """A vendor call failing inside a request (Stripe unreachable: 503 billing_unavailable, the
    request rolled back) still counts toward "down": failing without a pause for the (short)
    window is reported by email."""
    from pitchlab.app import create_app
    from tests.conftest import make_settings
    from tests.http.test_metrics_scrape import closed_port
    from tests.practice.helpers import eventually, rep

    settings = make_settings(
        owner_url, tmp_path, stripe_api_key=SecretStr("sk_test_down"),
        stripe_api_base=f"http://127.0.0.1:{closed_port()}", stripe_max_network_retries=0,
        alert_email=ALERT_EMAIL, alert_provider_down_seconds=0.5,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            tokens = await rep(client, app, owner_url)
            async def stripe_fails_until_alerted() -> bool:
                portal = await client.post("/api/billing/portal", headers=bearer(tokens))
                assert portal.status_code == 503, portal.text
                return any("stripe" in mail["subject"].lower() or "stripe" in mail["text"].lower()
                           for mail in outbox(owner_url, ALERT_EMAIL))

            await eventually(stripe_fails_until_alerted, within=20, every=0.1)
            assert len(outbox(owner_url, ALERT_EMAIL)) == 1  # one message, however many failed
