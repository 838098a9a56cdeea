"""Payments: Stripe through its official SDK, or billing off (no ``PITCHLAB_STRIPE_API_KEY``).

The gateway speaks Stripe's nouns (customers, prices, checkout sessions, subscriptions, invoices)
and answers with the plain records below, so the billing domain never handles SDK objects. It
raises only the two errors below; ``billing.service`` turns them into the API's 503s.

Every call that creates something takes an idempotency key: Stripe keeps a key's first answer
for 24 hours and replays it, so a request retried after a timeout (by the SDK, or by the client
of our API) creates nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import stripe

from pitchlab.metrics import provider_call

log = logging.getLogger(__name__)


class BillingNotConfiguredError(Exception):
    """No Stripe key: billing is off, the trial is all there is."""


class BillingUnavailableError(Exception):
    """Stripe could not be reached or refused the call; nothing was created (or a retry with the
    same idempotency key finds what was)."""


# --- what the gateway answers ------------------------------------------------------------------


@dataclass(frozen=True)
class StripePrice:
    id: str
    lookup_key: str | None
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class StripeSubscription:
    """A subscription as Stripe holds it now."""

    id: str
    customer_id: str
    status: str
    item_id: str | None  # the one subscription item (one price per subscription)
    price: StripePrice | None
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    ended_at: datetime | None
    trial_end: datetime | None
    latest_invoice_id: str | None
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class StripeInvoice:
    id: str
    number: str | None
    amount_cents: int
    currency: str
    status: str | None
    hosted_invoice_url: str | None
    period_start: datetime | None
    period_end: datetime | None
    created: datetime


@dataclass(frozen=True)
class InvoicePage:
    items: list[StripeInvoice]
    has_more: bool


@dataclass(frozen=True)
class NewPrice:
    """A price to find by ``lookup_key`` or create (recurring when ``interval`` is set)."""

    lookup_key: str
    product_name: str
    unit_amount: int
    currency: str
    interval: Literal["month", "year"] | None
    metadata: Mapping[str, str]


CheckoutMode = Literal["subscription", "payment"]


class BillingGateway(Protocol):
    configured: bool  # False: every call raises BillingNotConfiguredError

    async def create_customer(
        self, *, name: str, email: str | None, metadata: Mapping[str, str], idempotency_key: str
    ) -> str:
        """The new customer's id."""
        ...

    async def find_or_create_price(self, price: NewPrice) -> str:
        """The id of the active price with ``price.lookup_key``, created when there is none."""
        ...

    async def create_checkout(
        self, *, mode: CheckoutMode, customer_id: str, price_id: str, success_url: str,
        cancel_url: str, metadata: Mapping[str, str], idempotency_key: str,
    ) -> str:
        """A Checkout Session's URL (``metadata`` also goes on the subscription it creates)."""
        ...

    async def retrieve_subscription(self, subscription_id: str) -> StripeSubscription: ...

    async def change_price(
        self, *, subscription_id: str, item_id: str, price_id: str,
        metadata: Mapping[str, str], idempotency_key: str,
    ) -> StripeSubscription:
        """Move the subscription's item to another price, prorated."""
        ...

    async def create_portal_session(
        self, *, customer_id: str, return_url: str, idempotency_key: str
    ) -> str:
        """A Billing Portal session's URL."""
        ...

    async def list_invoices(
        self, *, customer_id: str, limit: int, starting_after: str | None
    ) -> InvoicePage: ...

    async def retrieve_invoice(self, invoice_id: str) -> StripeInvoice:
        """An invoice as Stripe holds it now (its status may have moved since an event)."""
        ...


# --- billing off -------------------------------------------------------------------------------


class BillingOff:
    """No Stripe key: every billing call says so; practice runs on the trial."""

    configured = False

    def __getattr__(self, name: str) -> Any:
        async def refuse(*_args: object, **_kwargs: object) -> Any:
            raise BillingNotConfiguredError()

        return refuse


# --- Stripe ------------------------------------------------------------------------------------


class StripeBillingGateway:
    configured = True

    def __init__(
        self, *, api_key: str, api_base: str, timeout_seconds: float, max_network_retries: int
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")},
            http_client=stripe.HTTPXClient(timeout=timeout_seconds),
            # The SDK retries connection errors and 409/429/5xx itself, with the same key.
            max_network_retries=max_network_retries,
        )

    async def create_customer(
        self, *, name: str, email: str | None, metadata: Mapping[str, str], idempotency_key: str
    ) -> str:
        params: dict[str, Any] = {"name": name, "metadata": dict(metadata)}
        if email:
            params["email"] = email
        customer = await _call(self._client.v1.customers.create_async(
            params, {"idempotency_key": idempotency_key}  # type: ignore[arg-type]
        ))
        return str(customer.id)

    async def find_or_create_price(self, price: NewPrice) -> str:
        found = await _call(self._client.v1.prices.list_async(
            {"lookup_keys": [price.lookup_key], "active": True, "limit": 1}
        ))
        if found.data:
            return str(found.data[0].id)
        params: dict[str, Any] = {
            "currency": price.currency, "unit_amount": price.unit_amount,
            "lookup_key": price.lookup_key, "metadata": dict(price.metadata),
            "product_data": {"name": price.product_name},
        }
        if price.interval is not None:
            params["recurring"] = {"interval": price.interval}
        created = await _call(self._client.v1.prices.create_async(
            params, {"idempotency_key": f"price-{price.lookup_key}"}  # type: ignore[arg-type]
        ))
        return str(created.id)

    async def create_checkout(
        self, *, mode: CheckoutMode, customer_id: str, price_id: str, success_url: str,
        cancel_url: str, metadata: Mapping[str, str], idempotency_key: str,
    ) -> str:
        params: dict[str, Any] = {
            "mode": mode, "customer": customer_id,
            "line_items": [{"price": price_id, "quantity": 1}],
            "success_url": success_url, "cancel_url": cancel_url,
            "metadata": dict(metadata),
        }
        if mode == "subscription":
            params["subscription_data"] = {"metadata": dict(metadata)}
        session = await _call(self._client.v1.checkout.sessions.create_async(
            params, {"idempotency_key": idempotency_key}  # type: ignore[arg-type]
        ))
        if not session.url:
            raise BillingUnavailableError("Stripe returned a checkout session without a URL")
        return str(session.url)

    async def retrieve_subscription(self, subscription_id: str) -> StripeSubscription:
        subscription = await _call(
            self._client.v1.subscriptions.retrieve_async(subscription_id)
        )
        return subscription_of(subscription.to_dict())

    async def change_price(
        self, *, subscription_id: str, item_id: str, price_id: str,
        metadata: Mapping[str, str], idempotency_key: str,
    ) -> StripeSubscription:
        params: dict[str, Any] = {
            "items": [{"id": item_id, "price": price_id}],
            "proration_behavior": "create_prorations",
            "metadata": dict(metadata),
        }
        subscription = await _call(self._client.v1.subscriptions.update_async(
            subscription_id, params, {"idempotency_key": idempotency_key}  # type: ignore[arg-type]
        ))
        return subscription_of(subscription.to_dict())

    async def create_portal_session(
        self, *, customer_id: str, return_url: str, idempotency_key: str
    ) -> str:
        session = await _call(self._client.v1.billing_portal.sessions.create_async(
            {"customer": customer_id, "return_url": return_url},
            {"idempotency_key": idempotency_key},
        ))
        return str(session.url)

    async def list_invoices(
        self, *, customer_id: str, limit: int, starting_after: str | None
    ) -> InvoicePage:
        params: dict[str, Any] = {"customer": customer_id, "limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        page = await _call(self._client.v1.invoices.list_async(params))  # type: ignore[arg-type]
        return InvoicePage(
            items=[invoice_of(invoice.to_dict()) for invoice in page.data],
            has_more=bool(page.has_more),
        )

    async def retrieve_invoice(self, invoice_id: str) -> StripeInvoice:
        invoice = await _call(self._client.v1.invoices.retrieve_async(invoice_id))
        return invoice_of(invoice.to_dict())


async def _call(request: Any) -> Any:
    """Await a Stripe request; every failure becomes ``BillingUnavailableError`` (logged with
    Stripe's request id, never the key). Invalid-request errors are ours to fix, so they are
    logged as errors; outages as warnings."""
    try:
        async with provider_call("stripe"):
            return await request
    except stripe.InvalidRequestError as exc:
        log.error("Stripe refused a request: %s (request %s)", exc.user_message, exc.request_id)
        raise BillingUnavailableError(str(exc.user_message or "invalid request")) from None
    except stripe.StripeError as exc:
        log.warning("Stripe call failed: %s (status %s, request %s)",
                    type(exc).__name__, exc.http_status, exc.request_id)
        raise BillingUnavailableError(type(exc).__name__) from None


# --- reading Stripe's objects (also the webhook payloads, which are the same shapes) -----------


def subscription_of(data: Mapping[str, Any]) -> StripeSubscription:
    """A subscription object as the API (or an event) returns it. Current API versions put the
    billing period on the subscription's items; older ones on the subscription itself."""
    items = (data.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = item.get("price") or None
    return StripeSubscription(
        id=str(data["id"]),
        customer_id=id_of(data.get("customer")) or "",
        status=str(data.get("status")),
        item_id=item.get("id"),
        price=StripePrice(
            id=str(price["id"]), lookup_key=price.get("lookup_key"),
            metadata=dict(price.get("metadata") or {}),
        ) if isinstance(price, Mapping) else None,
        current_period_start=_time(item.get("current_period_start")
                                   or data.get("current_period_start")),
        current_period_end=_time(item.get("current_period_end")
                                 or data.get("current_period_end")),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        canceled_at=_time(data.get("canceled_at")),
        ended_at=_time(data.get("ended_at")),
        trial_end=_time(data.get("trial_end")),
        latest_invoice_id=id_of(data.get("latest_invoice")),
        metadata=dict(data.get("metadata") or {}),
    )


def invoice_of(data: Mapping[str, Any]) -> StripeInvoice:
    period_start, period_end = invoice_period(data)
    return StripeInvoice(
        id=str(data["id"]),
        number=data.get("number"),
        amount_cents=int(data.get("amount_due") or 0),
        currency=str(data.get("currency") or ""),
        status=data.get("status"),
        hosted_invoice_url=data.get("hosted_invoice_url"),
        period_start=period_start,
        period_end=period_end,
        created=_time(data.get("created")) or datetime.now(UTC),
    )


def invoice_subscription_id(data: Mapping[str, Any]) -> str | None:
    """The subscription an invoice bills: ``parent.subscription_details.subscription`` in current
    API versions, ``subscription`` in older ones (events keep the account's version)."""
    parent = data.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return id_of(details.get("subscription")) or id_of(data.get("subscription"))


def invoice_period(data: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """The service period an invoice pays for: its subscription line's period (``paid_period``);
    for an invoice of prorations or one-off items only, the invoice's own period fields. (Those
    are the *previous* period for a renewal, which is not what was paid.)"""
    return paid_period(data) or (_time(data.get("period_start")), _time(data.get("period_end")))


def paid_period(invoice: Mapping[str, Any]) -> tuple[datetime, datetime | None] | None:
    """The billing period a subscription invoice opens: the period of its first subscription
    line that is not a proration. None for an invoice of prorations or one-off items only (a
    plan change billed at once), which opens no period."""
    for line in (invoice.get("lines") or {}).get("data") or []:
        parent = line.get("parent") or {}
        if parent.get("type") == "invoice_item_details":
            continue
        details = parent.get("subscription_item_details") or {}
        # ``proration`` sits in the parent's details in current API versions, on the line before
        if details.get("proration") or line.get("proration"):
            continue
        period = line.get("period") or {}
        if period.get("start"):
            return _moment(period["start"]), _time(period.get("end"))
    return None


def _moment(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def id_of(value: Any) -> str | None:
    """An expandable field: an id, or the expanded object with its id."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None


def _time(value: Any) -> datetime | None:
    return _moment(value) if value else None
