"""Emails to a company's admins about its billing, each sent once per occasion.

The occasion names what a notice is about, so that the same notice is never sent twice for it
however often its cause is seen (a webhook delivered again, a sweep running every minute, two
calls charging the last minutes at once): the trial's end date, an invoice id, a subscription id,
the start of a minutes period. The claim (``billing_notices``) and the emails (the outbox) are
written in the caller's transaction, so a rolled-back cause sends nothing and claims nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.billing import repository
from pitchlab.companies import service as companies
from pitchlab.models.values import EmailKind
from pitchlab.notifications.service import queue_email
from pitchlab.notifications.templates import ComposedEmail

# Builds the email for one admin, from their name.
Compose = Callable[[str | None], ComposedEmail]


async def notify_admins_once(
    session: AsyncSession, company_id: UUID, kind: EmailKind, occasion: str, compose: Compose
) -> bool:
    """Queue ``compose(name)`` to each active admin of the company, unless this ``(kind,
    occasion)`` was sent before. True when it is sent now."""
    if not await repository.claim_notice(session, company_id, kind.value, occasion):
        return False
    await notify_admins(session, company_id, compose)
    return True


async def notify_admins(session: AsyncSession, company_id: UUID, compose: Compose) -> None:
    """Queue ``compose(name)`` to each active admin of the company, for a notice claimed
    already (a minute's charge claims the minutes notices; a job writes their emails)."""
    for address, name in await companies.admin_contacts(session, company_id):
        await queue_email(session, address, compose(name))
