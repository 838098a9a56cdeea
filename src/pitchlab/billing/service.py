"""Billing rules: who may practise, minute metering as a ledger, one usage row per call.

Every function runs in the caller's unit of work: a minute that does not fit raises
``QuotaExhausted`` and leaves the transaction for the caller to roll back, so a refused charge
rolls back with everything else. The statements (and how they keep concurrent charges from
overspending) are in ``repository.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.billing import repository
from pitchlab.billing.errors import QuotaExhausted, SubscriptionInactive
from pitchlab.companies import service as companies
from pitchlab.models import UsageRecord
from pitchlab.models.values import SubscriptionStatus

# A company whose trial has ended practises while its subscription is in one of these.
PRACTISING_STATUSES = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)


async def ensure_may_practise(session: AsyncSession, company_id: UUID, now: datetime) -> None:
    """A company practises during its trial, then while it subscribes; else
    ``SubscriptionInactive``."""
    if await companies.trial_running(session, company_id, now):
        return
    if not await repository.has_subscription_in(session, company_id, PRACTISING_STATUSES):
        raise SubscriptionInactive


async def charge_minute(session: AsyncSession, session_id: UUID, minute: int) -> bool:
    """Charge minute number ``minute`` (1-based) of a live session.

    True when this call charged it, False when it was charged already or the session is not
    live any more. Raises QuotaExhausted, leaving the transaction for the caller to roll back.
    """
    payer = await repository.claim_minute(session, session_id, minute)
    if payer is None:
        return False
    if not await repository.charge_quotas(session, payer.company_id, payer.user_id, 1):
        raise QuotaExhausted
    return True


async def minutes_remaining(session: AsyncSession, company_id: UUID, user_id: UUID) -> int:
    """The minutes the user may still use: the fewest left on the company's quota and the user's
    own cap. None at all for a company without a quota row."""
    least, has_company_quota = await repository.least_remaining(session, company_id, user_id)
    if not has_company_quota or least is None:
        return 0
    return max(0, int(least))


async def record_usage(
    session: AsyncSession, *, session_id: UUID, company_id: UUID, user_id: UUID, minutes: int
) -> None:
    """The session's one usage row; a replay of the end of a call writes nothing more."""
    await repository.insert_usage(
        session, session_id=session_id, company_id=company_id, user_id=user_id, minutes=minutes
    )


async def usage_of_user(session: AsyncSession, user_id: UUID) -> Sequence[UsageRecord]:
    """The user's usage rows (the GDPR export)."""
    return await repository.usage_of_user(session, user_id)
