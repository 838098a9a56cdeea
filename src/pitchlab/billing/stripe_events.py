"""What Stripe's events do: each handler reads what it needs from the event and hands it to the
rules in ``subscriptions.py``.

The handlers run in the webhook inbox's job, in its transaction (``webhooks.service``): once
per event id, retried with backoff when they raise (Stripe unreachable included: the gateway's
``BillingUnavailableError`` is left to propagate). An event's snapshot of a subscription is
never used: the subscription is read from Stripe, so the order events arrive in does not matter.

An event for a company Pitchlab cannot find (its customer is mapped to no company and its
metadata names none) is logged and counted as processed: retrying cannot make the company
appear, and a company mapped later is brought up to date by its subscription's next event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pitchlab.billing import subscriptions
from pitchlab.billing.catalogue import MINUTES_METADATA_KEY, PACK_METADATA_KEY, pack_by_id
from pitchlab.config import Settings
from pitchlab.providers.payments import id_of, invoice_subscription_id, paid_period
from pitchlab.webhooks.service import HandlingContext, InboxEvent, handles

log = logging.getLogger(__name__)

SOURCE = "stripe"


def _object(event: InboxEvent) -> dict[str, Any]:
    found: dict[str, Any] = event.payload["data"]["object"]
    return found


# --- checkout: a subscription started, or a top-up paid ------------------------------------------


@handles(SOURCE, "checkout.session.completed")
@handles(SOURCE, "checkout.session.async_payment_succeeded")  # a top-up paid by bank, later
async def checkout_session_completed(event: InboxEvent, context: HandlingContext) -> None:
    checkout = _object(event)
    if checkout.get("mode") == "subscription":
        await _sync_checkout_subscription(checkout, context)
    elif checkout.get("mode") == "payment":
        await _grant_top_up(checkout, context)


async def _sync_checkout_subscription(
    checkout: Mapping[str, Any], context: HandlingContext
) -> None:
    subscription_id = id_of(checkout.get("subscription"))
    if subscription_id is None:
        log.warning("checkout session %s completed without a subscription", checkout.get("id"))
        return
    await subscriptions.sync_subscription(
        context.session, context.settings, context.providers.billing, subscription_id,
        fallback_metadata=checkout.get("metadata") or {},
    )


async def _grant_top_up(checkout: Mapping[str, Any], context: HandlingContext) -> None:
    metadata: Mapping[str, str] = checkout.get("metadata") or {}
    pack_id = metadata.get(PACK_METADATA_KEY)
    if not pack_id:
        return  # a payment that Pitchlab did not start as a top-up
    if checkout.get("payment_status") != "paid":
        # Paid later by a slower method: checkout.session.async_payment_succeeded grants it.
        log.info("top-up checkout %s completed unpaid", checkout.get("id"))
        return
    minutes = _top_up_minutes(metadata, pack_id, context.settings)
    if minutes is None:
        log.warning("top-up checkout %s names pack %r, with no minutes known: nothing granted",
                    checkout.get("id"), pack_id)
        return
    company_id = await subscriptions.company_of(
        context.session, id_of(checkout.get("customer")), metadata
    )
    if company_id is None:
        log.warning("top-up checkout %s (customer %s) belongs to no company: ignored",
                    checkout.get("id"), checkout.get("customer"))
        return
    await subscriptions.grant_top_up(
        context.session, company_id, str(checkout["id"]), pack_id, minutes
    )


def _top_up_minutes(metadata: Mapping[str, str], pack_id: str, settings: Settings) -> int | None:
    """The minutes the checkout sold (its metadata), else the pack's as the settings have it."""
    sold = metadata.get(MINUTES_METADATA_KEY, "")
    if sold.isdigit() and int(sold) > 0:
        return int(sold)
    pack = pack_by_id(settings, pack_id)
    return pack.minutes if pack is not None else None


# --- subscriptions -------------------------------------------------------------------------------


async def subscription_changed(event: InboxEvent, context: HandlingContext) -> None:
    """Created, updated (a plan change, cancel at period end, past due) or deleted (ended): the
    mirror takes the subscription as Stripe holds it now."""
    await subscriptions.sync_subscription(
        context.session, context.settings, context.providers.billing, _object(event)["id"]
    )


for _event_type in ("created", "updated", "deleted"):
    handles(SOURCE, f"customer.subscription.{_event_type}")(subscription_changed)


@handles(SOURCE, "customer.subscription.trial_will_end")
async def trial_will_end(event: InboxEvent, context: HandlingContext) -> None:
    synced = await subscriptions.sync_subscription(
        context.session, context.settings, context.providers.billing, _object(event)["id"]
    )
    if synced is not None:
        await subscriptions.tell_trial_ending(context.session, context.settings, synced)


# --- invoices ------------------------------------------------------------------------------------


@handles(SOURCE, "invoice.paid")
async def invoice_paid(event: InboxEvent, context: HandlingContext) -> None:
    invoice = _object(event)
    subscription_id = invoice_subscription_id(invoice)
    if subscription_id is None:
        return  # not a subscription's invoice: no period to grant
    synced = await subscriptions.sync_subscription(
        context.session, context.settings, context.providers.billing, subscription_id
    )
    period = paid_period(invoice)
    if synced is None or period is None:
        return
    await subscriptions.grant_period(context.session, synced, str(invoice["id"]), *period)


@handles(SOURCE, "invoice.payment_failed")
async def invoice_payment_failed(event: InboxEvent, context: HandlingContext) -> None:
    invoice = _object(event)
    subscription_id = invoice_subscription_id(invoice)
    if subscription_id is None:
        return
    synced = await subscriptions.sync_subscription(
        context.session, context.settings, context.providers.billing, subscription_id,
        failed_invoice_id=str(invoice["id"]),
    )
    if synced is None:
        return
    await subscriptions.tell_payment_failed(
        context.session, context.settings, synced.company_id, str(invoice["id"]),
        # An invoice's amount and currency are fixed once it is finalized: the event's will do.
        int(invoice.get("amount_due") or 0), str(invoice.get("currency") or ""),
    )
