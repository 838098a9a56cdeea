"""What the billing endpoints do: subscribe or change plan, buy a top-up, open the billing portal,
list invoices (all through Stripe), and the company's subscription overview.

Stripe is called inside the request's unit of work. When a call fails, the request answers 503
and its transaction rolls back, so the database keeps nothing of the attempt; what Stripe may
have created is found again by the retry, because every create carries an idempotency key that
the same intent always produces (Stripe replays a key's first answer for 24 hours). Each key says
below what makes a new intent new.

What Stripe does afterwards (a checkout paid, an invoice paid, a cancellation) reaches Pitchlab
through its webhooks (``stripe_events``), which keep the subscription mirror and the minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.billing import catalogue, repository, subscriptions
from pitchlab.billing.errors import (
    BillingAdminsOnly,
    BillingNotConfigured,
    BillingUnavailable,
    UnknownPlan,
    UnknownTopUpPack,
)
from pitchlab.billing.service import PRACTISING_STATUSES
from pitchlab.companies import service as companies
from pitchlab.config import Plan, ResolvedSettings, TopUpPack
from pitchlab.kit.errors import InvalidCursor, Unauthorized
from pitchlab.models import Subscription, User
from pitchlab.models.values import Role
from pitchlab.providers.payments import (
    BillingGateway,
    BillingNotConfiguredError,
    BillingUnavailableError,
    StripeInvoice,
)


@dataclass(frozen=True)
class Billing:
    """What every purchase works with: the request's unit of work, the settings (catalogue,
    return URL) and the Stripe gateway."""

    session: AsyncSession
    settings: ResolvedSettings
    gateway: BillingGateway


@dataclass(frozen=True)
class Checkout:
    """A Stripe Checkout page to send the admin to."""

    url: str


@dataclass(frozen=True)
class Usage:
    total_minutes: int
    used_minutes: int
    period_start: datetime | None

    @property
    def remaining_minutes(self) -> int:
        return max(0, self.total_minutes - self.used_minutes)


@dataclass(frozen=True)
class Overview:
    subscription: Subscription | None
    trial_expires_at: datetime | None
    usage: Usage


NO_USAGE = Usage(total_minutes=0, used_minutes=0, period_start=None)


# --- who may buy ---------------------------------------------------------------------------------


def billing_company(user: User) -> UUID:
    """The company whose billing ``user`` manages: only its admins do (reps and platform
    operators, who belong to no company, are refused)."""
    if user.role != Role.ADMIN or user.company_id is None:
        raise BillingAdminsOnly
    return user.company_id


def _configured(gateway: BillingGateway) -> BillingGateway:
    if not gateway.configured:
        raise BillingNotConfigured
    return gateway


@contextmanager
def _stripe_errors() -> Iterator[None]:
    """The gateway's two failures as the API's 503s (the gateway logged them, key-free)."""
    try:
        yield
    except BillingNotConfiguredError:
        raise BillingNotConfigured from None
    except BillingUnavailableError:
        raise BillingUnavailable from None


# --- subscribe or change plan --------------------------------------------------------------------


async def subscribe(billing: Billing, user: User, plan_id: str) -> Checkout | Subscription:
    """A Checkout page for a company without a practising subscription; for one with, the
    subscription moved to ``plan_id`` (or left alone when it is on that plan already)."""
    company_id = billing_company(user)
    plan = catalogue.plan_by_id(billing.settings, plan_id)
    if plan is None:
        raise UnknownPlan(details={"plan_id": plan_id, "plans": "GET /api/plans"})
    _configured(billing.gateway)
    # Locked: two plan changes at once run one after the other, the second from the plan the
    # first left (and with the key of that mirror version).
    current = await repository.latest_subscription(
        billing.session, company_id, PRACTISING_STATUSES, for_update=True
    )
    if current is not None and current.plan_id == plan.id:
        return current  # nothing to change, nothing to ask Stripe
    with _stripe_errors():
        if current is None:
            return await _subscription_checkout(billing, company_id, plan)
        return await _change_plan(billing, company_id, current, plan)


async def _subscription_checkout(billing: Billing, company_id: UUID, plan: Plan) -> Checkout:
    customer_id = await _customer_of(billing, company_id)
    price_id = await _price_of(billing.gateway, plan)
    # One key per (company, plan, price, customer) until a subscription row appears: a double
    # click or a retry gets the same page; once a subscription came and went, the count moved,
    # and subscribing again is a new checkout rather than the old (completed) one replayed.
    rows = await repository.subscription_count(billing.session, company_id)
    metadata = {
        catalogue.COMPANY_METADATA_KEY: str(company_id), catalogue.PLAN_METADATA_KEY: plan.id,
    }
    url = await billing.gateway.create_checkout(
        mode="subscription", customer_id=customer_id, price_id=price_id,
        success_url=_return_url(billing.settings, checkout="success"),
        cancel_url=_return_url(billing.settings, checkout="cancelled"),
        metadata=metadata,
        idempotency_key=f"pitchlab-subscribe-{company_id}-{plan.id}-{price_id}-{customer_id}-{rows}",
    )
    return Checkout(url)


async def _change_plan(
    billing: Billing, company_id: UUID, row: Subscription, plan: Plan
) -> Checkout | Subscription:
    """Move the subscription's item to the plan's price, prorated, and mirror Stripe's answer
    as a webhook would (``subscriptions.record_subscription``: the new plan's allowance, the
    plan's minutes plus this period's top-ups, applies at once; the webhook confirms it later)."""
    price_id = await _price_of(billing.gateway, plan)
    # The webhooks' lock on this subscription, held from before reading it until commit.
    await subscriptions.lock(billing.session, row.stripe_subscription_id)
    held = await billing.gateway.retrieve_subscription(row.stripe_subscription_id)
    if held.status not in PRACTISING_STATUSES:
        # Stripe ended it and the webhook saying so has not arrived: mirror the truth, and
        # subscribing means a new subscription.
        await subscriptions.record_subscription(billing.session, billing.settings, held)
        return await _subscription_checkout(billing, company_id, plan)
    if held.item_id is None:
        raise BillingUnavailableError("Stripe returned a subscription without an item")
    if held.price is None or held.price.id != price_id:
        from_price = held.price.id if held.price else "none"
        # The key names the move (from, to) and the mirror's version: the same request retried
        # replays it, while moving back and forth later is a new change each time (the mirror's
        # updated_at moves with each).
        version = int(row.updated_at.timestamp() * 1_000_000)
        held = await billing.gateway.change_price(
            subscription_id=held.id, item_id=held.item_id, price_id=price_id,
            metadata={catalogue.COMPANY_METADATA_KEY: str(company_id),
                      catalogue.PLAN_METADATA_KEY: plan.id},
            idempotency_key=f"pitchlab-plan-{held.id}-{from_price}-{price_id}-{version}",
        )
    await subscriptions.record_subscription(billing.session, billing.settings, held)
    mirrored = await repository.mirror_for_update(billing.session, held.id)
    assert mirrored is not None  # record_subscription wrote it, for this company
    return mirrored


# --- top-ups -----------------------------------------------------------------------------------


async def buy_top_up(billing: Billing, user: User, pack_id: str) -> Checkout:
    """A Checkout page (one payment) for a pack of minutes; its webhook adds them, once."""
    company_id = billing_company(user)
    pack = catalogue.pack_by_id(billing.settings, pack_id)
    if pack is None:
        raise UnknownTopUpPack(details={"pack_id": pack_id, "packs": "GET /api/billing/top-ups"})
    gateway = _configured(billing.gateway)
    with _stripe_errors():
        customer_id = await _customer_of(billing, company_id)
        price_id = await _price_of(gateway, pack)
        # Until a top-up is paid (and granted), asking for the same pack again is the same
        # purchase; after, it is a new one.
        grants = await repository.top_up_grant_count(billing.session, company_id)
        url = await gateway.create_checkout(
            mode="payment", customer_id=customer_id, price_id=price_id,
            success_url=_return_url(billing.settings, top_up="success"),
            cancel_url=_return_url(billing.settings, top_up="cancelled"),
            metadata={catalogue.COMPANY_METADATA_KEY: str(company_id),
                      catalogue.PACK_METADATA_KEY: pack.id,
                      catalogue.MINUTES_METADATA_KEY: str(pack.minutes)},
            idempotency_key=f"pitchlab-top-up-{company_id}-{pack.id}-{price_id}-{grants}",
        )
    return Checkout(url)


# --- the billing portal and invoices -------------------------------------------------------------


async def open_portal(billing: Billing, user: User, now: datetime) -> str:
    """A Billing Portal session's URL for the company (its Stripe customer made first if need
    be)."""
    company_id = billing_company(user)
    gateway = _configured(billing.gateway)
    with _stripe_errors():
        customer_id = await _customer_of(billing, company_id)
        # Portal sessions are short-lived: a retry (or a double click) within the minute gets
        # the same one, a visit later a fresh one.
        return await gateway.create_portal_session(
            customer_id=customer_id, return_url=_return_url(billing.settings),
            idempotency_key=f"pitchlab-portal-{customer_id}-{now.astimezone(UTC):%Y%m%dT%H%M}",
        )


async def list_invoices(
    billing: Billing, user: User, *, limit: int, cursor: str | None
) -> tuple[list[StripeInvoice], str | None]:
    """The company's invoices, newest first, and the cursor of the next page. Nothing before
    the company has a Stripe customer."""
    company_id = billing_company(user)
    starting_after = _invoice_after(billing.settings, company_id, cursor)
    gateway = _configured(billing.gateway)
    company = await companies.get(billing.session, company_id)
    if company is None:
        raise Unauthorized  # the account's company has gone: so has the account
    if company.stripe_customer_id is None:
        return [], None
    with _stripe_errors():
        page = await gateway.list_invoices(
            customer_id=company.stripe_customer_id, limit=limit, starting_after=starting_after
        )
    more = page.has_more and bool(page.items)
    return page.items, (
        _invoice_cursor(billing.settings, company_id, page.items[-1].id) if more else None
    )


# Invoice cursors are Stripe invoice ids, sealed to the company they were handed to: an id of
# another company's invoice (or a made-up one) handed to Stripe as ``starting_after`` would tell
# whether it exists, so only cursors this server gave this company are passed on.
_INVOICE_ID = re.compile(r"^in_[A-Za-z0-9_]{1,100}$")


def _invoice_cursor(settings: ResolvedSettings, company_id: UUID, invoice_id: str) -> str:
    seal = _seal(settings, company_id, invoice_id)
    return base64.urlsafe_b64encode(f"{invoice_id}.{seal}".encode()).decode().rstrip("=")


def _invoice_after(settings: ResolvedSettings, company_id: UUID, cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        invoice_id, seal = base64.urlsafe_b64decode(
            cursor + "=" * (-len(cursor) % 4)
        ).decode().split(".")
    except ValueError:  # not base64, not UTF-8, not two parts (binascii.Error is a ValueError)
        raise InvalidCursor from None
    if not _INVOICE_ID.match(invoice_id) or not hmac.compare_digest(
        seal, _seal(settings, company_id, invoice_id)
    ):
        raise InvalidCursor
    return invoice_id


def _seal(settings: ResolvedSettings, company_id: UUID, invoice_id: str) -> str:
    # A key of its own, derived from the server's secret, so a seal is never a token signature.
    key = hmac.new(settings.jwt_secret.get_secret_value().encode(), b"pitchlab invoice cursor",
                   hashlib.sha256).digest()
    message = f"{company_id}:{invoice_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


# --- the company's Stripe customer and prices ----------------------------------------------------


async def _customer_of(billing: Billing, company_id: UUID) -> str:
    """The company's Stripe customer, made on first need. The company row stays locked until
    the transaction ends, so two admins buying at once make one customer: the second waits,
    then finds the first's. A failure later in the request rolls the stored id back; the
    retry's create carries the same key (the company's id, and parameters that depend on the
    company alone), so Stripe hands back the customer it made rather than a second one."""
    company = await companies.lock(billing.session, company_id)
    if company is None:
        raise Unauthorized  # the account's company has gone: so has the account
    if company.stripe_customer_id:
        return company.stripe_customer_id
    customer_id = await billing.gateway.create_customer(
        name=company.name, email=None, metadata={catalogue.COMPANY_METADATA_KEY: str(company_id)},
        idempotency_key=f"pitchlab-customer-{company_id}",
    )
    await companies.set_stripe_customer_id(billing.session, company_id, customer_id)
    return customer_id


async def _price_of(gateway: BillingGateway, item: Plan | TopUpPack) -> str:
    """The Stripe price of a plan or pack: the one the settings name, else Pitchlab's own (found
    by its lookup key, made once)."""
    return item.stripe_price_id or await gateway.find_or_create_price(catalogue.new_price(item))


def _return_url(settings: ResolvedSettings, **query: str) -> str:
    """Where Stripe sends the admin back (``billing_return_url``, else the API's docs), with
    ``query`` saying how it went."""
    url = settings.billing_return_url or settings.public_url.rstrip("/") + "/docs"
    parts = urlsplit(url)
    params: list[tuple[str, str]] = [*parse_qsl(parts.query), *query.items()]
    return urlunsplit(parts._replace(query=urlencode(params)))


# --- the overview (GET /api/subscriptions) -------------------------------------------------------


async def overview(session: AsyncSession, user: User) -> Overview:
    """The company's latest subscription, its trial's end and its minutes; empty for a platform
    operator, who belongs to no company."""
    if user.company_id is None:
        return Overview(subscription=None, trial_expires_at=None, usage=NO_USAGE)
    company = await companies.get(session, user.company_id)
    quota = await repository.company_quota(session, user.company_id)
    return Overview(
        subscription=await repository.latest_subscription(session, user.company_id),
        trial_expires_at=company.trial_expires_at if company else None,
        usage=Usage(quota.total_minutes, quota.used_minutes, quota.period_start)
        if quota else NO_USAGE,
    )
