"""Queue an email: one outbox row and its delivery job, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.db import system_context, temporary_context
from pitchlab.jobs.queue import defer_in_transaction
from pitchlab.models import OutboxEmail
from pitchlab.notifications.templates import ComposedEmail

SEND_EMAIL_JOB = "send_email"


async def queue_email(session: AsyncSession, to: str, email: ComposedEmail) -> OutboxEmail:
    row = OutboxEmail(
        kind=email.kind,
        to_address=to,
        subject=email.subject,
        text_body=email.text,
        html_body=email.html,
        links=list(email.links),
    )
    # The outbox is a system table (it holds live links); tenant requests queue mail too.
    async with temporary_context(session, system_context("queue_email")):
        session.add(row)
        await session.flush()
        await defer_in_transaction(session, SEND_EMAIL_JOB, outbox_id=str(row.id))
    return row
