"""Resend down, four ways: sign-up still answers 202, the email stays in the outbox, the job is
retried with a backoff, and the row is sent once Resend recovers: nothing lost, nothing twice.
/metrics counts each failed call."""

from __future__ import annotations

import pytest
import resend
from resend.http_client_httpx import HTTPXClient

from pitchlab.providers.email import ResendEmailSender
from tests.auth.helpers import outbox, register, unique_email
from tests.fakes.misbehave import FAULTS, misbehaving
from tests.fakes.resend_server import FakeResend
from tests.faults.conftest import bring_forward, drain_counted, provider_errors, using

KEY = "re_faults_key_0123456789"
SEND_EMAIL = "send_email"


@pytest.fixture
async def resend_fake(app, monkeypatch):
    # The SDK's own client waits 30 s; a hung Resend must be given up on within the test.
    monkeypatch.setattr(resend, "default_async_http_client", HTTPXClient(timeout=0.5))
    fake = FakeResend(api_key=KEY)
    async with misbehaving(fake.app()) as switch:
        with using(app, email=ResendEmailSender(KEY, switch.base_url),
                   settings={"email_from": "Pitchlab <hi@pitchlab.test>"}):
            yield fake, switch


@pytest.mark.parametrize("fault", FAULTS)
async def test_an_email_waits_out_the_outage_and_is_sent_once_after_it(
    app, client, owner_url, owner_conn, resend_fake, fault
):
    fake, switch = resend_fake
    before = await provider_errors(client, "resend")
    await switch.set(fault)
    email = unique_email()

    assert (await register(client, email)).status_code == 202  # the sign-up does not wait on it
    await drain_counted(app)

    [row] = outbox(owner_url, email)
    assert row["status"] == "pending"  # kept for the retry, not dropped
    cursor = await owner_conn.execute(
        "SELECT id, attempts, last_error FROM email_outbox WHERE to_address = %s", (email,))
    outbox_id, attempts, error = await cursor.fetchone()
    assert attempts == 1 and error
    assert fake.received == []
    assert await provider_errors(client, "resend") == before + 1
    assert switch.faulted == (0 if fault == "refuse" else 1)

    await switch.set(None)
    assert await bring_forward(owner_conn, SEND_EMAIL, outbox_id=str(outbox_id)) == 1
    await drain_counted(app)

    [row] = outbox(owner_url, email)
    assert row["status"] == "sent"
    [sent] = fake.received
    assert sent["to"] == [email]
    assert await provider_errors(client, "resend") == before + 1  # the recovery is no error
