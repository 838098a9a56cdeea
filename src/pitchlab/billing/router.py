"""Billing endpoints: the plans and top-up packs on sale, subscribing and changing plan, the
subscription overview, the Stripe billing portal, invoices and top-ups. Stripe's webhooks come in
through ``webhooks`` (POST /api/webhooks/stripe)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.billing import purchases
from pitchlab.billing.errors import (
    BillingAdminsOnly,
    BillingNotConfigured,
    BillingUnavailable,
    UnknownPlan,
    UnknownTopUpPack,
)
from pitchlab.billing.schemas import (
    CheckoutOut,
    InvoiceList,
    InvoiceOut,
    PlanList,
    PlanOut,
    PortalOut,
    SubscribeIn,
    SubscriptionChanged,
    SubscriptionOut,
    SubscriptionOverview,
    TopUpIn,
    TopUpPackList,
    TopUpPackOut,
    UsageOut,
)
from pitchlab.deps import AppProviders, AppSettings, DbSession
from pitchlab.http.caching import cache_for
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import InvalidCursor, Unauthorized

router = APIRouter(tags=["billing"])

# What every call to Stripe may answer besides its own refusals.
STRIPE_ERRORS = (BillingNotConfigured, BillingUnavailable)
NO_STRIPE = (
    " Without a Stripe key on the server: 503 `billing_not_configured` (practice goes on with "
    "the trial). Stripe unreachable or failing: 503 `billing_unavailable` with `Retry-After`; "
    "nothing was half-made, so the same request again is safe."
)
# The plans and packs change only with the settings (a restart): any cache may keep them a while.
CATALOGUE_MAX_AGE = 300


@router.get("/api/plans", response_model=PlanList, summary="The subscription plans (public)",
            dependencies=[cache_for(max_age=CATALOGUE_MAX_AGE)])
async def list_plans(settings: AppSettings) -> PlanList:
    return PlanList(items=[PlanOut.of(plan) for plan in settings.plans])


@router.get("/api/billing/top-ups", response_model=TopUpPackList,
            summary="The top-up packs of minutes (public)",
            dependencies=[cache_for(max_age=CATALOGUE_MAX_AGE)])
async def list_top_up_packs(settings: AppSettings) -> TopUpPackList:
    return TopUpPackList(items=[TopUpPackOut.of(pack) for pack in settings.top_up_packs])


@router.post(
    "/api/subscriptions/subscribe", response_model=CheckoutOut | SubscriptionChanged,
    summary="Subscribe to a plan, or change plan (company admins)",
    description="A company without a subscription that may practise (`trialing`, `active`, "
    "`past_due`) gets `{checkout_url}`: Stripe Checkout's page, where the admin pays; the "
    "subscription and its minutes follow from Stripe's webhooks. A company with one is moved to "
    "the plan at once, prorated by Stripe, and gets `{subscription}` with the minutes of the new "
    "plan (plus this period's top-ups); on the same plan already, nothing changes. Reps and "
    "platform operators: 403." + NO_STRIPE,
    responses=error_responses(401, BillingAdminsOnly, UnknownPlan, 422, *STRIPE_ERRORS),
)
async def subscribe(
    body: SubscribeIn, principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    providers: AppProviders,
) -> CheckoutOut | SubscriptionChanged:
    billing = purchases.Billing(session, settings, providers.billing)
    outcome = await purchases.subscribe(billing, principal.user, body.plan_id)
    if isinstance(outcome, purchases.Checkout):
        return CheckoutOut(checkout_url=outcome.url)
    return SubscriptionChanged(subscription=SubscriptionOut.of(outcome))


@router.get(
    "/api/subscriptions", response_model=SubscriptionOverview,
    summary="The company's subscription, trial and minutes (any member)",
    description="Platform operators belong to no company: `subscription` and "
    "`trial_expires_at` are null and the usage is zero.",
    responses=error_responses(Unauthorized),
)
async def get_subscription(principal: CurrentPrincipal, session: DbSession) -> SubscriptionOverview:
    found = await purchases.overview(session, principal.user)
    usage = found.usage
    return SubscriptionOverview(
        subscription=SubscriptionOut.of(found.subscription) if found.subscription else None,
        trial_expires_at=found.trial_expires_at,
        usage=UsageOut(total_minutes=usage.total_minutes, used_minutes=usage.used_minutes,
                       remaining_minutes=usage.remaining_minutes, period_start=usage.period_start),
    )


@router.post(
    "/api/billing/portal", response_model=PortalOut,
    summary="Open Stripe's billing portal (company admins)",
    description="A Stripe Billing Portal session for the company: payment method, invoices, "
    "cancelling. Reps and platform operators: 403." + NO_STRIPE,
    responses=error_responses(Unauthorized, BillingAdminsOnly, *STRIPE_ERRORS),
)
async def open_billing_portal(
    principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    providers: AppProviders,
) -> PortalOut:
    billing = purchases.Billing(session, settings, providers.billing)
    url = await purchases.open_portal(billing, principal.user, datetime.now(UTC))
    return PortalOut(portal_url=url)


@router.get(
    "/api/billing/invoices", response_model=InvoiceList,
    summary="The company's invoices, newest first (company admins)",
    description="From Stripe. Empty until the company first subscribes, buys a top-up or opens "
    "the billing portal. `cursor` is a page's `next_cursor`, valid for this company only "
    "(422 `invalid_cursor` otherwise). Reps and platform operators: 403." + NO_STRIPE,
    responses=error_responses(Unauthorized, BillingAdminsOnly, InvalidCursor, 422, *STRIPE_ERRORS),
)
async def list_invoices(
    principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    providers: AppProviders,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> InvoiceList:
    billing = purchases.Billing(session, settings, providers.billing)
    invoices, next_cursor = await purchases.list_invoices(
        billing, principal.user, limit=limit, cursor=cursor
    )
    return InvoiceList(items=[InvoiceOut.of(i) for i in invoices], next_cursor=next_cursor)


@router.post(
    "/api/billing/top-ups", response_model=CheckoutOut,
    summary="Buy a pack of minutes (company admins)",
    description="Stripe Checkout's page for one payment; once paid, Stripe's webhook adds the "
    "pack's minutes to the current period, once. Reps and platform operators: 403." + NO_STRIPE,
    responses=error_responses(401, BillingAdminsOnly, UnknownTopUpPack, 422, *STRIPE_ERRORS),
)
async def buy_top_up(
    body: TopUpIn, principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    providers: AppProviders,
) -> CheckoutOut:
    billing = purchases.Billing(session, settings, providers.billing)
    checkout = await purchases.buy_top_up(billing, principal.user, body.pack_id)
    return CheckoutOut(checkout_url=checkout.url)
