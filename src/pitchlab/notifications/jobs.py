"""Delivering queued email. A failed send is retried with backoff; after the last attempt the
row is marked ``failed`` with the reason, so nothing is lost silently.

With a real provider, a row's body and links (live tokens) are redacted once it is sent or given
up on; the offline outbox keeps them, being the developer's mailbox (see providers/email.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

import procrastinate

from pitchlab.db import system_context
from pitchlab.jobs.queue import job, resources
from pitchlab.models import OutboxEmail
from pitchlab.notifications.outbox import redact_bodies
from pitchlab.notifications.service import SEND_EMAIL_JOB
from pitchlab.providers.email import EmailMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY = procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=2)


@job(SEND_EMAIL_JOB, queue="email", retry=RETRY)
async def send_email(context: procrastinate.JobContext, outbox_id: str) -> None:
    deps = resources(context)
    database, sender = deps.database, deps.providers.email
    async with database.transaction(system_context("send_email")) as session:
        row = await session.get(OutboxEmail, UUID(outbox_id))
        if row is None or row.status != "pending":
            return  # already delivered (a duplicate job) or erased with its user
        message = EmailMessage(
            outbox_id=row.id, sender=deps.settings.email_from, to=row.to_address,
            subject=row.subject, text=row.text_body, html=row.html_body,
            links=tuple(row.links),
        )
    try:
        provider_id = await sender.send(message)
    except Exception as exc:
        await _record_failure(database, row.id, exc, keep_body=sender.local_mailbox)
        raise
    async with database.transaction(system_context("send_email")) as session:
        sent = await session.get(OutboxEmail, row.id, with_for_update=True)
        if sent is None:
            return
        sent.status = "sent"
        sent.provider = sender.name
        sent.provider_message_id = provider_id
        sent.attempts += 1
        sent.sent_at = datetime.now(UTC)
        if not sender.local_mailbox:
            redact_bodies(sent)


async def _record_failure(database, outbox_id: UUID, exc: Exception, *, keep_body: bool) -> None:
    async with database.transaction(system_context("send_email")) as session:
        row = await session.get(OutboxEmail, outbox_id, with_for_update=True)
        if row is None:
            return
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            if not keep_body:
                redact_bodies(row)  # never to be sent: no reason left to keep its live links
            log.error("giving up on email %s after %d attempts", outbox_id, row.attempts)
        else:
            log.warning("email %s not sent (attempt %d), will retry", outbox_id, row.attempts)

