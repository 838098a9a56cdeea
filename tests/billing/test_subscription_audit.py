"""Subscription changes that Stripe's webhooks bring are audited: one entry per change of
status or plan, none for a redelivered event that changes nothing."""

from __future__ import annotations

import itertools

from tests.billing.stripe_flows import (
    copy_with_new_id,
    customer,
    delivered_and_handled,
    of_type,
    subscribed,
    subscription_checkout,
)


async def _changes(owner_conn, company_id) -> list[tuple]:
    rows = await (await owner_conn.execute(
        "SELECT actor_id, target_type, target_id, details FROM audit_logs"
        " WHERE action = 'subscription.changed' AND company_id = %s ORDER BY created_at, id",
        (company_id,))).fetchall()
    return [tuple(row) for row in rows]


async def test_a_new_subscription_is_audited_once_and_redeliveries_add_nothing(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    completed = fake_stripe.complete_checkout(await subscription_checkout(app, buyer))
    events = fake_stripe.take_events()
    await delivered_and_handled(app, fake_stripe, events)
    subscription_id = completed["subscription"]
    changes = await _changes(owner_conn, buyer.company_id)
    assert changes[0][:3] == (None, "subscription", subscription_id)
    assert changes[-1][3]["status"] == "active" and changes[-1][3]["plan_id"] == "starter"
    # each entry is a real change from the one before
    states = [(None, None)] + [(d["status"], d["plan_id"]) for *_, d in changes]
    assert all(a != b for a, b in itertools.pairwise(states))
    assert all((d["previous_status"], d["previous_plan_id"]) == states[n]
               for n, (*_, d) in enumerate(changes))
    again = copy_with_new_id(of_type(events, "customer.subscription.created"))
    await delivered_and_handled(app, fake_stripe, [again])
    assert await _changes(owner_conn, buyer.company_id) == changes


async def test_a_cancellation_is_audited(client, app, owner_url, owner_conn, fake_stripe):
    buyer = await customer(client, app, owner_url, owner_conn)
    subscription_id = await subscribed(app, fake_stripe, buyer)
    before = await _changes(owner_conn, buyer.company_id)
    fake_stripe.cancel(subscription_id)
    await delivered_and_handled(app, fake_stripe)
    after = await _changes(owner_conn, buyer.company_id)
    assert len(after) == len(before) + 1
    assert after[-1][3]["status"] == "canceled"
    assert after[-1][3]["previous_status"] == "active"
