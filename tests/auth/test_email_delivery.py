"""Email leaves through the real Resend SDK, against a local server that speaks Resend's API;
a failed send is retried from the outbox, never lost. With a real provider no link is logged and
the outbox forgets a message's body (its live links) once it is sent; the offline outbox, being
the developer's mailbox, keeps and logs them."""

from __future__ import annotations

import logging
import traceback
from uuid import uuid4

import httpx
import psycopg
import pytest

from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.notifications.jobs import MAX_ATTEMPTS
from pitchlab.providers.email import EmailMessage, ResendEmailSender
from tests.auth.helpers import drain_jobs, outbox, register, token_from_link, unique_email
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
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                yield app, client, fake


async def test_verification_email_goes_out_through_resend(resend_app, owner_url):
    app, client, fake = resend_app
    assert isinstance(context_of(app).providers.email, ResendEmailSender)
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
    assert row["links"] and row["links"][0] in row["text"]  # kept for the retry
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
    assert row["links"] == [] and "redacted" in row["text"]  # and forgotten once sent
    assert len(fake.received) == 1


async def test_a_wrong_api_key_is_an_error_not_a_success(owner_url, tmp_path):
    fake = FakeResend(api_key="re_the_right_key")
    async with serve_asgi(fake.app()) as base_url:
        sender = ResendEmailSender("re_the_wrong_key", base_url)
        with pytest.raises(Exception) as raised:
            await sender.send(EmailMessage(uuid4(), "a@b.co", "c@d.co", "s", "t", "<p>h</p>"))
        assert "re_the_wrong_key" not in str(raised.value)
    assert fake.received == []


def _capture_everything(caplog) -> None:
    """DEBUG on every logger there is, whatever level it was given; except SQLAlchemy's, which
    is its SQL echo (off unless an operator turns it on) and prints result rows by design."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] != "sqlalchemy":
            caplog.set_level(logging.DEBUG, logger=name)


def _log_text(records: list[logging.LogRecord]) -> str:
    parts = [f"{r.name} {r.getMessage()}" for r in records]
    parts += ["".join(traceback.format_exception(*r.exc_info)) for r in records if r.exc_info]
    return "\n".join(parts)


def _stored(owner_url, email: str) -> dict:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        row = conn.execute(
            "SELECT to_address, subject, kind, status, provider, text_body, html_body, links::text,"
            " created_at, sent_at FROM email_outbox WHERE to_address = %s", (email,)
        ).fetchone()
    keys = ("to", "subject", "kind", "status", "provider", "text", "html", "links", "created_at",
            "sent_at")
    return dict(zip(keys, row, strict=True))


async def test_with_resend_no_link_is_logged_or_kept_once_sent(resend_app, owner_url, caplog):
    app, client, fake = resend_app
    _capture_everything(caplog)
    email = unique_email()
    assert (await register(client, email)).status_code == 202
    await drain_jobs(app)
    logs = _log_text(caplog.records)

    # the email went out, link and all
    [sent] = fake.received
    link = next(word for word in sent["text"].split() if "/api/auth/verify-email?token=" in word)
    token = token_from_link(link)
    assert token in sent["html"]
    # no log line carries it (the job and the SDK did log: the capture worked)
    assert "send_email" in logs
    assert token not in logs and "verify-email?token" not in logs
    # the outbox keeps the audit trail, not the link
    row = _stored(owner_url, email)
    assert token not in str(row)
    assert row["links"] == "[]" and "redacted" in row["text"] and "redacted" in row["html"]
    assert (row["to"], row["kind"], row["status"], row["provider"]) == (
        email, "verify_email", "sent", "resend")
    assert row["subject"] == "Confirm your email for Pitchlab"
    assert row["created_at"] and row["sent_at"]
    # and the link the recipient got still works
    verified = await client.get("/api/auth/verify-email", params={"token": token})
    assert verified.status_code == 200


async def test_an_email_given_up_on_is_redacted_too(resend_app, owner_url):
    app, client, fake = resend_app
    fake.fail_next = [500]
    email = unique_email()
    await register(client, email)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE email_outbox SET attempts = %s WHERE to_address = %s",
                     (MAX_ATTEMPTS - 1, email))
    await drain_jobs(app)
    row = _stored(owner_url, email)
    assert row["status"] == "failed"
    assert row["links"] == "[]" and "redacted" in row["text"] and "redacted" in row["html"]
    assert fake.received == []


async def test_the_offline_outbox_keeps_and_logs_its_links(client, app, owner_url, caplog):
    """Without a provider the outbox is the developer's mailbox (``pitchlab outbox``)."""
    _capture_everything(caplog)
    email = unique_email()
    await register(client, email)
    await drain_jobs(app)
    row = _stored(owner_url, email)
    [link] = outbox(owner_url, email)[0]["links"]
    assert row["status"] == "sent" and row["provider"] == "outbox"
    assert link in row["text"] and token_from_link(link) in row["html"]
    outbox_lines = [r.getMessage() for r in caplog.records if r.name == "pitchlab.email.outbox"]
    assert any(link in line for line in outbox_lines)
