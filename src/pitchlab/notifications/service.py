"""Email: queued as an outbox row and its delivery job in the caller's transaction, delivered by
the job. A failed send is retried with backoff; after the last attempt the row is marked
``failed`` with the reason, so nothing is lost silently.

With a real provider, a row's body and links (live tokens) are redacted once it is sent or given
up on; the offline outbox keeps them, being the developer's mailbox (see providers/email.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.db import Database, system_context, temporary_context
from pitchlab.jobs.queue import defer_in_transaction
from pitchlab.models import OutboxEmail
from pitchlab.models.values import OutboxStatus
from pitchlab.notifications import repository
from pitchlab.notifications.templates import ComposedEmail
from pitchlab.providers.email import EmailMessage, EmailSender

log = logging.getLogger(__name__)

SEND_EMAIL_JOB = "send_email"
MAX_ATTEMPTS = 6


async def queue_email(session: AsyncSession, to: str, email: ComposedEmail) -> OutboxEmail:
    message = OutboxEmail(
        kind=email.kind,
        to_address=to,
        subject=email.subject,
        text_body=email.text,
        html_body=email.html,
        links=list(email.links),
    )
    # The outbox is a system table (it holds live links); tenant requests queue mail too.
    async with temporary_context(session, system_context("queue_email")):
        await repository.add(session, message)
        await defer_in_transaction(session, SEND_EMAIL_JOB, outbox_id=str(message.id))
    return message


async def erase_mail_to(session: AsyncSession, address: str) -> None:
    """Every message to ``address``, sent or not (its owner's personal data is being erased)."""
    async with temporary_context(session, system_context("erase_mail")):
        await repository.delete_to_address(session, address)


# --- delivery (the send_email job) ----------------------------------------------------------

async def deliver(
    database: Database, sender: EmailSender, sender_address: str, outbox_id: UUID
) -> None:
    """Send one queued message. Raises when the provider fails, for the job to retry."""
    message = await _pending_message(database, outbox_id, sender_address)
    if message is None:
        return  # already delivered (a duplicate job) or erased with its user
    try:
        provider_id = await sender.send(message)
    except Exception as exc:
        await _record_failure(database, outbox_id, exc, keep_body=sender.local_mailbox)
        raise
    await _record_sent(database, outbox_id, sender, provider_id)


async def _pending_message(
    database: Database, outbox_id: UUID, sender_address: str
) -> EmailMessage | None:
    async with database.transaction(system_context("send_email")) as session:
        row = await repository.get(session, outbox_id)
        if row is None or row.status != OutboxStatus.PENDING:
            return None
        return EmailMessage(
            outbox_id=row.id, sender=sender_address, to=row.to_address,
            subject=row.subject, text=row.text_body, html=row.html_body,
            links=tuple(row.links),
        )


async def _record_sent(
    database: Database, outbox_id: UUID, sender: EmailSender, provider_id: str
) -> None:
    async with database.transaction(system_context("send_email")) as session:
        sent = await repository.get(session, outbox_id, for_update=True)
        if sent is None:
            return
        sent.status = OutboxStatus.SENT
        sent.provider = sender.name
        sent.provider_message_id = provider_id
        sent.attempts += 1
        sent.sent_at = datetime.now(UTC)
        if not sender.local_mailbox:
            _redact_bodies(sent)


async def _record_failure(
    database: Database, outbox_id: UUID, exc: Exception, *, keep_body: bool
) -> None:
    async with database.transaction(system_context("send_email")) as session:
        row = await repository.get(session, outbox_id, for_update=True)
        if row is None:
            return
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = OutboxStatus.FAILED
            if not keep_body:
                _redact_bodies(row)  # never to be sent: no reason left to keep its live links
            log.error("giving up on email %s after %d attempts", outbox_id, row.attempts)
        else:
            log.warning("email %s not sent (attempt %d), will retry", outbox_id, row.attempts)


def _redact_bodies(message: OutboxEmail) -> None:
    """Drop what a delivered (or abandoned) message no longer needs: its body and links, which
    hold live tokens. Recipient, subject, kind, status and times stay as the audit trail."""
    marker = f"[redacted once {message.status}: this message held live links]"
    message.text_body = marker
    message.html_body = marker
    message.links = []
