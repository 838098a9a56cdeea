"""The whole purchase, through the public surface only: an admin subscribes over HTTP, pays on
the (fake) Stripe Checkout page, Stripe's signed events reach the webhook endpoint in any order,
and the company practises on its plan's minutes; then a renewal, a cancellation and a top-up."""

from __future__ import annotations

import random
import uuid

from tests.auth.helpers import bearer, drain_jobs, invited_member, signed_up
from tests.billing.stripe_flows import end_trial, session_id_of, start_practice


async def overview(client, tokens: dict) -> dict:
    response = await client.get("/api/subscriptions", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()


async def deliver_shuffled(app, fake, seed: int) -> None:
    """Every pending event, in an order Stripe may well use, each answered 2xx, then handled."""
    events = fake.take_events()
    random.Random(seed).shuffle(events)
    for event in events:
        assert await fake.deliver(event) == [200]
    await drain_jobs(app)


async def test_subscribe_pay_and_practise_on_the_plans_minutes(
    client, app, owner_url, owner_conn, fake_stripe
):
    admin = await signed_up(client, app, owner_url)
    company_id = uuid.UUID(
        (await client.get("/api/users/me", headers=bearer(admin))).json()["company"]["id"]
    )
    rep = await invited_member(client, owner_url, admin["email"])
    await end_trial(owner_conn, company_id)
    refused = await start_practice(client, rep)
    assert (refused.status_code, refused.json()["error"]["code"]) == (402, "subscription_inactive")

    plans = (await client.get("/api/plans")).json()["items"]
    starter = next(plan for plan in plans if plan["id"] == "starter")
    answer = await client.post("/api/subscriptions/subscribe", headers=bearer(admin),
                               json={"plan_id": "starter"})
    assert answer.status_code == 200, answer.text
    fake_stripe.complete_checkout(session_id_of(answer.json()["checkout_url"]))
    await deliver_shuffled(app, fake_stripe, seed=11)

    state = await overview(client, rep)
    assert state["subscription"]["plan_id"] == "starter"
    assert state["subscription"]["status"] == "active"
    assert state["usage"] == {**state["usage"], "total_minutes": starter["minutes_per_period"],
                              "used_minutes": 0,
                              "remaining_minutes": starter["minutes_per_period"]}
    started = await start_practice(client, rep)
    assert started.status_code == 201, started.text
    ended = await client.post(f"/api/sessions/{started.json()['id']}/end", headers=bearer(rep))
    assert ended.status_code == 200, ended.text

    # A top-up bought over HTTP adds its minutes once, however often Stripe says so.
    top_up = await client.post("/api/billing/top-ups", headers=bearer(admin),
                               json={"pack_id": "minutes-100"})
    assert top_up.status_code == 200, top_up.text
    fake_stripe.complete_checkout(session_id_of(top_up.json()["checkout_url"]))
    [completed] = fake_stripe.take_events()
    assert await fake_stripe.deliver(completed, times=3) == [200, 200, 200]
    await drain_jobs(app)
    assert (await overview(client, admin))["usage"]["total_minutes"] == (
        starter["minutes_per_period"] + 100)

    # Cancelled now: practice stops; the invoices stay readable.
    subscription_id = next(iter(fake_stripe.subscriptions))
    fake_stripe.cancel(subscription_id)
    await deliver_shuffled(app, fake_stripe, seed=12)
    assert (await overview(client, admin))["subscription"]["status"] == "canceled"
    refused = await start_practice(client, rep)
    assert (refused.status_code, refused.json()["error"]["code"]) == (402, "subscription_inactive")
    invoices = await client.get("/api/billing/invoices", headers=bearer(admin))
    assert invoices.status_code == 200, invoices.text
    assert [invoice["status"] for invoice in invoices.json()["items"]] == ["paid"]
