"""What Pitchlab sells: the plans and top-up packs of the settings, and how they map to Stripe
prices.

A plan (or pack) names a Stripe price with ``stripe_price_id``, or leaves it to Pitchlab, which
finds or creates one under ``lookup_key(...)``. The key holds the amount, currency and interval,
because Stripe prices are immutable: a changed price in the settings is a new Stripe price, and
subscribers stay on theirs until they change plan. Every price Pitchlab creates carries the plan
or pack id in its metadata, which is how a subscription's price leads back to its plan.
"""

from __future__ import annotations

from collections.abc import Iterable

from pitchlab.config import Plan, Settings, TopUpPack
from pitchlab.providers.payments import NewPrice, StripePrice

# The metadata Pitchlab puts on what it creates in Stripe (prices, checkout sessions and the
# subscriptions they start), read back by the webhooks.
PLAN_METADATA_KEY = "pitchlab_plan_id"
PACK_METADATA_KEY = "pitchlab_top_up_pack_id"
# The company that pays, for a Stripe customer not (yet) mapped to a company.
COMPANY_METADATA_KEY = "pitchlab_company_id"
# The minutes a top-up checkout sold (the pack's minutes may change in the settings before the
# payment completes).
MINUTES_METADATA_KEY = "pitchlab_minutes"


def plan_by_id(settings: Settings, plan_id: str) -> Plan | None:
    return next((plan for plan in settings.plans if plan.id == plan_id), None)


def pack_by_id(settings: Settings, pack_id: str) -> TopUpPack | None:
    return next((pack for pack in settings.top_up_packs if pack.id == pack_id), None)


def lookup_key(item: Plan | TopUpPack) -> str:
    if isinstance(item, Plan):
        return f"pitchlab_plan_{item.id}_{item.price_cents}{item.currency}_{item.interval}"
    return f"pitchlab_top_up_{item.id}_{item.price_cents}{item.currency}"


def new_price(item: Plan | TopUpPack) -> NewPrice:
    """The Stripe price to create for a plan or pack that names none."""
    if isinstance(item, Plan):
        return NewPrice(
            lookup_key=lookup_key(item), product_name=f"Pitchlab {item.name}",
            unit_amount=item.price_cents, currency=item.currency, interval=item.interval,
            metadata={PLAN_METADATA_KEY: item.id},
        )
    return NewPrice(
        lookup_key=lookup_key(item), product_name=f"Pitchlab {item.minutes} practice minutes",
        unit_amount=item.price_cents, currency=item.currency, interval=None,
        metadata={PACK_METADATA_KEY: item.id},
    )


def plan_for_price(plans: Iterable[Plan], price: StripePrice | None) -> Plan | None:
    """The plan a subscription's price belongs to: the plan naming that price id, else the plan
    in the price's metadata, else the plan whose lookup key it has. None for a price Pitchlab
    does not sell (set up by hand in Stripe's dashboard)."""
    if price is None:
        return None
    plans = tuple(plans)
    for plan in plans:
        if plan.stripe_price_id == price.id:
            return plan
    plan_id = price.metadata.get(PLAN_METADATA_KEY)
    for plan in plans:
        if plan.id == plan_id or (price.lookup_key and lookup_key(plan) == price.lookup_key):
            return plan
    return None
