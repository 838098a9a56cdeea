"""Bodies of the billing endpoints: the catalogue, buying, the subscription and its invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from pitchlab.config import Plan, TopUpPack
from pitchlab.http.validation import RequestBody
from pitchlab.models import Subscription
from pitchlab.models.values import SubscriptionStatus
from pitchlab.providers.payments import StripeInvoice

# --- the catalogue (public) ----------------------------------------------------------------------


class PlanOut(BaseModel):
    id: str
    name: str
    minutes_per_period: int = Field(description="Practice minutes the company gets each period.")
    price_cents: int = Field(description="The price per period, in the currency's minor unit.")
    currency: str = Field(description="ISO 4217, lower case (`usd`).")
    interval: Literal["month", "year"] = Field(description="The billing period.")

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(id=plan.id, name=plan.name, minutes_per_period=plan.minutes_per_period,
                   price_cents=plan.price_cents, currency=plan.currency, interval=plan.interval)


class PlanList(BaseModel):
    items: list[PlanOut]


class TopUpPackOut(BaseModel):
    id: str
    minutes: int = Field(description="Minutes added to the current period, once paid.")
    price_cents: int
    currency: str

    @classmethod
    def of(cls, pack: TopUpPack) -> TopUpPackOut:
        return cls(id=pack.id, minutes=pack.minutes, price_cents=pack.price_cents,
                   currency=pack.currency)


class TopUpPackList(BaseModel):
    items: list[TopUpPackOut]


# --- buying ------------------------------------------------------------------------------------


class SubscribeIn(RequestBody):
    plan_id: str = Field(max_length=100, description="A plan's id from GET /api/plans.")


class TopUpIn(RequestBody):
    pack_id: str = Field(max_length=100, description="A pack's id from GET /api/billing/top-ups.")


class CheckoutOut(BaseModel):
    checkout_url: str = Field(
        description="Stripe Checkout's page: send the admin there to pay. Asking again for the "
        "same purchase before it is paid gives the same page."
    )


class PortalOut(BaseModel):
    portal_url: str = Field(
        description="A Stripe Billing Portal session (payment method, invoices, cancelling); "
        "it expires soon, so open it at once."
    )


# --- the subscription --------------------------------------------------------------------------


class SubscriptionOut(BaseModel):
    id: UUID
    plan_id: str
    status: SubscriptionStatus = Field(
        description="Stripe's status. `trialing`, `active` and `past_due` may practise."
    )
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool = Field(
        description="Cancelled in the billing portal: it ends at `current_period_end`."
    )
    canceled_at: datetime | None
    ended_at: datetime | None
    trial_end: datetime | None = Field(description="The end of Stripe's trial, if it has one.")

    @classmethod
    def of(cls, row: Subscription) -> SubscriptionOut:
        return cls(
            id=row.id, plan_id=row.plan_id, status=row.status,
            current_period_start=row.current_period_start,
            current_period_end=row.current_period_end,
            cancel_at_period_end=row.cancel_at_period_end, canceled_at=row.canceled_at,
            ended_at=row.ended_at, trial_end=row.trial_end,
        )


class SubscriptionChanged(BaseModel):
    subscription: SubscriptionOut = Field(
        description="The subscription on its new plan (prorated by Stripe), or unchanged when it "
        "was on this plan already."
    )


class UsageOut(BaseModel):
    total_minutes: int
    used_minutes: int
    remaining_minutes: int
    period_start: datetime | None = Field(
        description="When the period that `used_minutes` counts in began."
    )


class SubscriptionOverview(BaseModel):
    subscription: SubscriptionOut | None = Field(
        description="The company's latest subscription, ended ones included; null before the "
        "first (and for platform operators, who belong to no company)."
    )
    trial_expires_at: datetime | None
    usage: UsageOut = Field(description="The company's minutes this period.")


# --- invoices ----------------------------------------------------------------------------------


class InvoiceOut(BaseModel):
    id: str = Field(description="Stripe's invoice id (`in_...`).")
    number: str | None
    amount_cents: int = Field(description="The amount due, in the currency's minor unit.")
    currency: str
    status: str | None = Field(description="Stripe's: draft, open, paid, uncollectible or void.")
    hosted_invoice_url: str | None = Field(description="Stripe's page to view or pay it.")
    period_start: datetime | None
    period_end: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, invoice: StripeInvoice) -> InvoiceOut:
        return cls(
            id=invoice.id, number=invoice.number, amount_cents=invoice.amount_cents,
            currency=invoice.currency, status=invoice.status,
            hosted_invoice_url=invoice.hosted_invoice_url, period_start=invoice.period_start,
            period_end=invoice.period_end, created_at=invoice.created,
        )


class InvoiceList(BaseModel):
    items: list[InvoiceOut] = Field(description="Newest first.")
    next_cursor: str | None
