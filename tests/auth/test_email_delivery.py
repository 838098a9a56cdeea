"""Email leaves through the real Resend SDK, against a local server that speaks Resend's API;
a failed send is retried from the outbox, never lost."""

from __future__ import annotations

from uuid import uuid4

import httpx
import psycopg
import pytest

from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn
from pitchlab.providers.email import EmailMessage, ResendEmailSender
from tests.auth.helpers import drain_jobs, outbox, register, unique_email
from tests.conftest import make_settings
from tests.fakes.http_server import serve_asgi
from tests.fakes.resend_server import FakeResend

RESEND_KEY = "re_test_key_0123456789"


@pytest.fixture
async def resend_app(owner_url, tmp_path):
    fake = FakeResend(api_key=RESEND_KEY)
    async with serve_asgi(fake.app()) as base_url:
        settings = make_settings(owner_url, tmp_path, resend_api_key=RESEND_KEY,
                                 resend_base_url=base_url, email_from="Pitchlab <hi@pitchlab.test>")
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                yield app, client, fake


async def test_verification_email_goes_out_through_resend(resend_app, owner_url):
    app, client, fake = resend_app
    assert isinstance(app.state.providers.email, ResendEmailSender)
    email = unique_email()
    assert (await register(client, email)).status_code == 202
    await drain_jobs(app)

    [sent] = fake.received
    assert sent["to"] == [email]
    assert sent["from"] == "Pitchlab <hi@pitchlab.test>"
    assert sent["subject"] == "Confirm your email for Pitchlab"
    assert "/api/auth/verify-email?token=" in sent["text"]
    assert "<a href=" in sent["html"]
    [key] = fake.idempotency_keys
    assert key and key.startswith("pitchlab-outbox-")
    [row] = outbox(owner_url, email)
    assert row["status"] == "sent" and row["provider"] == "resend"


async def test_a_failed_send_is_retried_and_then_delivered(resend_app, owner_url):
    app, client, fake = resend_app
    fake.fail_next = [500]
    email = unique_email()
    await register(client, email)
    await drain_jobs(app)

    [row] = outbox(owner_url, email)
    assert row["status"] == "pending"
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        attempts, error = conn.execute(
            "SELECT attempts, last_error FROM email_outbox WHERE to_address = %s", (email,)
        ).fetchone()
        assert attempts == 1
        assert error  # the provider's complaint, kept for the operator
        # procrastinate scheduled the retry with a backoff; bring it forward instead of waiting
        job = conn.execute(
            "SELECT status, attempts FROM procrastinate_jobs WHERE task_name = 'send_email'"
            " AND args->>'outbox_id' = (SELECT id::text FROM email_outbox WHERE to_address = %s)",
            (email,),
        ).fetchone()
        assert job == ("todo", 1)
        conn.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")
    await drain_jobs(app)

    [row] = outbox(owner_url, email)
    assert row["status"] == "sent"
    assert len(fake.received) == 1


async def test_a_wrong_api_key_is_an_error_not_a_success(owner_url, tmp_path):
    fake = FakeResend(api_key="re_the_right_key")
    async with serve_asgi(fake.app()) as base_url:
        sender = ResendEmailSender("re_the_wrong_key", base_url)
        with pytest.raises(Exception) as raised:
            await sender.send(EmailMessage(uuid4(), "a@b.co", "c@d.co", "s", "t", "<p>h</p>"))
        assert "re_the_wrong_key" not in str(raised.value)
    assert fake.received == []
