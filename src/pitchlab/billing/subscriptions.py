"""The subscription mirror and the minutes that payments give, as Stripe's webhooks report them.

Stripe holds the truth. Its events arrive late, twice, concurrently and in any order, so a
subscription is never taken from an event: it is read from Stripe (``sync_subscription``) while
a lock on its id is held, and the mirror row is overwritten with what Stripe says now. The rules
that follow compare the mirror before and after, so they hold whatever order the events came in:

- a paid invoice of a new billing period sets the company's minutes to the plan's and counts
  used minutes from zero, once per invoice (``minute_grants``) and never for a period older than
  the newest one granted;
- a plan change sets the company's total to the new plan's minutes plus this period's top-ups;
- a top-up adds its pack's minutes to the current period, once per checkout session;
- cancellation, a failed payment and a Stripe trial about to end each email the company's admins
  once (``notices.notify_admins_once``).

Every function writes in the caller's transaction (the webhook inbox's, in a system context):
it flushes, never commits, and a raised error (Stripe unreachable included) rolls it all back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab import cache as app_cache
from pitchlab.audit import service as audit
from pitchlab.billing import repository
from pitchlab.billing.catalogue import COMPANY_METADATA_KEY, plan_for_price
from pitchlab.billing.notices import notify_admins_once
from pitchlab.billing.service import PRACTISING_STATUSES, subscription_standing_key
from pitchlab.companies import service as companies
from pitchlab.config import Plan, Settings
from pitchlab.models.values import AuditAction, EmailKind, MinuteGrantKind, SubscriptionStatus
from pitchlab.notifications import templates
from pitchlab.providers.payments import BillingGateway, StripeSubscription

log = logging.getLogger(__name__)

# Stripe's invoice statuses once its payment is no longer owed.
SETTLED_INVOICE_STATUSES = frozenset({"paid", "void"})


@dataclass(frozen=True)
class Synced:
    """A subscription after its mirror row was written: whose it is, and its plan (None for a
    price Pitchlab does not sell)."""

    company_id: UUID
    subscription: StripeSubscription
    status: SubscriptionStatus
    plan: Plan | None


# --- the mirror ----------------------------------------------------------------------------------


async def lock(session: AsyncSession, subscription_id: str) -> None:
    """Hold the Stripe subscription until the transaction ends (see ``sync_subscription``)."""
    await repository.lock_stripe_subscription(session, subscription_id)


async def sync_subscription(
    session: AsyncSession, settings: Settings, gateway: BillingGateway, subscription_id: str, *,
    fallback_metadata: Mapping[str, str] | None = None, failed_invoice_id: str | None = None,
) -> Synced | None:
    """Read the subscription from Stripe and write it into the mirror. None when no company can
    be found for it.

    ``fallback_metadata`` (the event's object's) names the company when neither the customer nor
    the subscription does. ``failed_invoice_id``: an invoice whose payment failed; while Stripe
    still calls the subscription active with that invoice its latest and unpaid, the mirror says
    ``past_due`` (Stripe moves it there itself, a moment later)."""
    # Held until the transaction ends, across the call to Stripe: two events of one subscription
    # handled at once would otherwise each read it, and the older read could be written last.
    await lock(session, subscription_id)
    subscription = await gateway.retrieve_subscription(subscription_id)
    status = SubscriptionStatus(subscription.status)
    if failed_invoice_id and await _payment_still_owed(gateway, subscription, failed_invoice_id):
        status = SubscriptionStatus.PAST_DUE
    return await record_subscription(
        session, settings, subscription, status=status, fallback_metadata=fallback_metadata
    )


async def _payment_still_owed(
    gateway: BillingGateway, subscription: StripeSubscription, invoice_id: str
) -> bool:
    if subscription.status != SubscriptionStatus.ACTIVE:
        return False
    if subscription.latest_invoice_id != invoice_id:
        return False  # a later invoice came since: the subscription's status says it all
    # Read after the subscription: an invoice paid in between is seen as paid here.
    invoice = await gateway.retrieve_invoice(invoice_id)
    return invoice.status not in SETTLED_INVOICE_STATUSES


async def record_subscription(
    session: AsyncSession, settings: Settings, subscription: StripeSubscription, *,
    status: SubscriptionStatus | None = None, fallback_metadata: Mapping[str, str] | None = None,
) -> Synced | None:
    """Write ``subscription`` (as Stripe just answered it) into the mirror and apply what changed:
    a new plan's allowance, the cancellation email. The caller holds the subscription's lock
    (``repository.lock_stripe_subscription``) from before it read the subscription from Stripe.
    None when no company can be found for it."""
    status = status or SubscriptionStatus(subscription.status)
    previous = await repository.mirror_for_update(session, subscription.id)
    previous_plan_id = previous.plan_id if previous is not None else None
    previous_status = previous.status if previous is not None else None
    company_id = (
        previous.company_id  # a subscription never changes company
        if previous is not None
        else await company_of(
            session, subscription.customer_id, subscription.metadata, fallback_metadata or {}
        )
    )
    if company_id is None:
        log.warning("Stripe subscription %s (customer %s) belongs to no company: ignored",
                    subscription.id, subscription.customer_id)
        return None
    plan = plan_for_price(settings.plans, subscription.price)
    values = _mirror_values(subscription, status, plan, previous_plan_id)
    if previous is None:
        await repository.add_mirror(session, company_id, values)
    else:
        await repository.update_mirror(session, previous.id, values)
    # the next session start reads the new status, in every process (pitchlab.cache)
    app_cache.invalidate_on_commit(session, subscription_standing_key(company_id))
    await _audit_change(session, company_id, subscription.id, values, previous_status,
                        previous_plan_id)
    synced = Synced(company_id, subscription, status, plan)
    if (previous is not None and plan is not None and plan.id != previous_plan_id
            and status in PRACTISING_STATUSES):
        await apply_plan_allowance(session, company_id, plan)
    if subscription.cancel_at_period_end or status == SubscriptionStatus.CANCELED:
        await _tell_cancelled(session, settings, synced)
    return synced


async def _audit_change(
    session: AsyncSession, company_id: UUID, subscription_id: str, values: Mapping[str, Any],
    previous_status: str | None, previous_plan_id: str | None,
) -> None:
    """One audit entry when the status or the plan changed (a redelivered event changes
    neither, so it writes none)."""
    if (values["status"], values["plan_id"]) == (previous_status, previous_plan_id):
        return
    await audit.record(session, AuditAction.SUBSCRIPTION_CHANGED, company_id=company_id,
                       target_type="subscription", target_id=subscription_id, details={
                           "status": values["status"], "previous_status": previous_status,
                           "plan_id": values["plan_id"], "previous_plan_id": previous_plan_id})


def _mirror_values(
    subscription: StripeSubscription, status: SubscriptionStatus, plan: Plan | None,
    previous_plan_id: str | None,
) -> dict[str, Any]:
    price_id = subscription.price.id if subscription.price else None
    if plan is None:
        # A price Pitchlab does not sell (made by hand in Stripe's dashboard): the row still
        # says whether the company pays, but no plan (and so no minutes) comes with it.
        log.warning("Stripe subscription %s is on price %s, which is no plan of Pitchlab's",
                    subscription.id, price_id)
    return {
        "stripe_subscription_id": subscription.id,
        "plan_id": plan.id if plan else previous_plan_id or price_id or "unknown",
        "status": status,
        "stripe_price_id": price_id,
        "current_period_start": subscription.current_period_start,
        "current_period_end": subscription.current_period_end,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "canceled_at": subscription.canceled_at,
        "ended_at": subscription.ended_at,
        "trial_end": subscription.trial_end,
    }


async def company_of(
    session: AsyncSession, customer_id: str | None, *metadata: Mapping[str, str]
) -> UUID | None:
    """The company a Stripe object concerns: the one mapped to its customer, else the one its
    metadata names (``pitchlab_company_id``) - unless that company already pays through another
    customer, since a customer must never reach into another company's minutes."""
    if customer_id:
        company = await companies.company_by_stripe_customer(session, customer_id)
        if company is not None:
            return company.id
    for source in metadata:
        company_id = _uuid_or_none(source.get(COMPANY_METADATA_KEY))
        company = await companies.get(session, company_id) if company_id else None
        if company is None:
            continue
        if company.stripe_customer_id and company.stripe_customer_id != customer_id:
            log.warning("Stripe customer %s names company %s in its metadata, which pays "
                        "through another customer: ignored", customer_id, company.id)
            return None
        return company.id
    return None


def _uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


# --- minutes -------------------------------------------------------------------------------------


async def grant_period(
    session: AsyncSession, synced: Synced, invoice_id: str,
    period_start: datetime, period_end: datetime | None,
) -> bool:
    """A paid invoice of a new billing period: the company's total becomes the plan's minutes and
    used minutes start from zero. Once per invoice, and only for a period newer than the newest
    granted (a renewal's invoice delivered after the next one's changes nothing). True when it
    granted now."""
    if synced.plan is None:
        log.warning("invoice %s pays for a price that is no plan: no minutes granted", invoice_id)
        return False
    # The quota row's lock orders this grant after any other payment of the company.
    await repository.lock_company_quota(session, synced.company_id)
    latest = await repository.latest_granted_period(session, synced.company_id)
    if latest is not None and period_start <= latest:
        log.info("invoice %s pays for a period that is not newer than the one granted: "
                 "nothing to do", invoice_id)
        return False
    granted = await repository.insert_grant(
        session, company_id=synced.company_id, kind=MinuteGrantKind.PERIOD,
        stripe_object_id=invoice_id, item_id=synced.plan.id,
        minutes=synced.plan.minutes_per_period, period_start=period_start, period_end=period_end,
    )
    if granted:
        await repository.start_period(
            session, synced.company_id, synced.plan.minutes_per_period, period_start
        )
    return granted


async def grant_top_up(
    session: AsyncSession, company_id: UUID, checkout_session_id: str, pack_id: str, minutes: int
) -> bool:
    """A paid top-up: its minutes are added to the current period's total, once per checkout
    session. True when they were added now."""
    quota = await repository.lock_company_quota(session, company_id)
    granted = await repository.insert_grant(
        session, company_id=company_id, kind=MinuteGrantKind.TOP_UP,
        stripe_object_id=checkout_session_id, item_id=pack_id, minutes=minutes,
        # The period it was added to: a plan change within that period keeps it.
        period_start=quota.period_start, period_end=None,
    )
    if granted:
        await repository.add_total_minutes(session, quota.id, minutes)
    return granted


async def apply_plan_allowance(session: AsyncSession, company_id: UUID, plan: Plan) -> None:
    """The company moved to ``plan`` within a period: its total is the plan's minutes plus what
    this period's top-ups added. Used minutes stay as they are."""
    quota = await repository.lock_company_quota(session, company_id)
    top_ups = await repository.top_up_minutes_of_period(session, company_id, quota.period_start)
    await repository.set_total_minutes(session, quota.id, plan.minutes_per_period + top_ups)


# --- emails to the company's admins --------------------------------------------------------------


async def _tell_cancelled(session: AsyncSession, settings: Settings, synced: Synced) -> None:
    subscription = synced.subscription
    if synced.status == SubscriptionStatus.CANCELED:
        ends_at = subscription.ended_at or subscription.canceled_at
    else:  # cancelled at the end of the period it has paid for
        ends_at = subscription.current_period_end
    company, public_url = await _company_name(session, synced.company_id), settings.link_base()
    # One email per subscription: "cancel at period end" and the deletion that follows it are
    # the same news.
    await notify_admins_once(
        session, synced.company_id, EmailKind.SUBSCRIPTION_CANCELLED, subscription.id,
        lambda name: templates.subscription_cancelled(public_url, name, company, ends_at),
    )


async def tell_payment_failed(
    session: AsyncSession, settings: Settings, company_id: UUID, invoice_id: str,
    amount_cents: int, currency: str,
) -> None:
    amount = format_amount(amount_cents, currency)
    company, public_url = await _company_name(session, company_id), settings.link_base()
    await notify_admins_once(
        session, company_id, EmailKind.PAYMENT_FAILED, invoice_id,
        lambda name: templates.payment_failed(public_url, name, company, amount),
    )


async def tell_trial_ending(session: AsyncSession, settings: Settings, synced: Synced) -> None:
    """Stripe's trial of the subscription ends soon (Stripe says so three days before)."""
    trial_end = synced.subscription.trial_end
    if synced.status != SubscriptionStatus.TRIALING or trial_end is None:
        return  # the trial ended early or was taken away meanwhile: nothing to warn about
    company, public_url = await _company_name(session, synced.company_id), settings.link_base()
    await notify_admins_once(
        session, synced.company_id, EmailKind.TRIAL_ENDING,
        f"subscription:{synced.subscription.id}:{trial_end.isoformat()}",
        lambda name: templates.trial_ending(public_url, name, company, trial_end),
    )


async def _company_name(session: AsyncSession, company_id: UUID) -> str:
    company = await companies.get(session, company_id)
    return company.name if company is not None else "your company"


# Currencies Stripe counts in whole units (no cents): https://docs.stripe.com/currencies
ZERO_DECIMAL_CURRENCIES = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
})


def format_amount(amount: int, currency: str) -> str:
    """An amount in Stripe's smallest unit as an email says it: "$49.00", "49,00 EUR",
    "4900 JPY", "49.00 GBP"."""
    code = currency.upper()
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{amount} {code}"
    units = f"{amount // 100}.{amount % 100:02d}"  # integers: no float rounding
    if code == "USD":
        return f"${units}"
    if code == "EUR":
        return f"{units.replace('.', ',')} EUR"
    return f"{units} {code}"
