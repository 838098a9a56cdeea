"""Stripe's events through the inbox: signed deliveries from the fake Stripe into
POST /api/webhooks/stripe, handled by the queue, end in the subscription and the minutes Stripe
says the company has paid for - whatever order, however often, and after a failed attempt."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from pitchlab.billing.catalogue import new_price, plan_by_id
from pitchlab.deps import context_of
from pitchlab.jobs.queue import WorkerResources
from pitchlab.webhooks import service as webhooks
from tests.auth.helpers import drain_jobs, invited_member
from tests.billing.stripe_flows import (
    company_quota,
    copy_with_new_id,
    customer,
    delivered_and_handled,
    emails_of,
    end_trial,
    grants,
    item_period,
    mirror,
    of_type,
    start_practice,
    subscribed,
    subscription_checkout,
    top_up_checkout,
    use_minutes,
)
from tests.practice.helpers import eventually
from tests.webhooks.helpers import bring_retries_forward, inbox_rows


async def test_a_completed_checkout_makes_an_active_subscription_with_its_plans_minutes(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    rep = await invited_member(client, owner_url, buyer.email)

    subscription_id = await subscribed(app, fake_stripe, buyer, "starter")

    held = fake_stripe.subscriptions[subscription_id]
    start, end = item_period(fake_stripe, subscription_id)
    assert await mirror(owner_conn, buyer.company_id) == [{
        "stripe_subscription_id": subscription_id, "plan_id": "starter", "status": "active",
        "stripe_price_id": held["items"]["data"][0]["price"]["id"],
        "current_period_start": start, "current_period_end": end,
        "cancel_at_period_end": False, "canceled_at": None, "ended_at": None, "trial_end": None,
    }]
    assert await company_quota(owner_conn, buyer.company_id) == {
        "total_minutes": 300, "used_minutes": 0, "period_start": start}
    [invoice_id] = fake_stripe.invoices
    assert await grants(owner_conn, buyer.company_id) == [{
        "kind": "period", "stripe_object_id": invoice_id, "item_id": "starter",
        "minutes": 300, "period_start": start}]
    assert {row["status"] for row in await inbox_rows(owner_conn)} == {"processed"}

    await end_trial(owner_conn, buyer.company_id)  # from now on the subscription is the access
    started = await start_practice(client, rep)
    assert started.status_code == 201, started.text
    assert started.json()["minutes_remaining"] == 299


async def test_events_handled_in_reverse_order_end_in_the_state_stripe_holds(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    completed = fake_stripe.complete_checkout(await subscription_checkout(app, buyer))
    subscription_id = completed["subscription"]
    fake_stripe.cancel(subscription_id, at_period_end=True)
    created, paid, checkout, updated = fake_stripe.take_events()
    assert [created["type"], paid["type"], checkout["type"], updated["type"]] == [
        "customer.subscription.created", "invoice.paid", "checkout.session.completed",
        "customer.subscription.updated"]

    # One at a time, so each is handled before the next arrives: "updated" first, "created" last.
    for event in (updated, paid, checkout, created):
        await delivered_and_handled(app, fake_stripe, [event])
        [row] = await mirror(owner_conn, buyer.company_id)
        # Already the first event leaves the mirror as Stripe holds the subscription now.
        assert (row["status"], row["cancel_at_period_end"]) == ("active", True)

    assert (await company_quota(owner_conn, buyer.company_id))["total_minutes"] == 300
    assert len(await grants(owner_conn, buyer.company_id)) == 1
    cancelled = [m for m in await emails_of(owner_conn, buyer.email)
                 if m["kind"] == "subscription_cancelled"]
    assert len(cancelled) == 1


async def test_a_created_event_handled_after_deleted_does_not_bring_the_subscription_back(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    rep = await invited_member(client, owner_url, buyer.email)
    await end_trial(owner_conn, buyer.company_id)
    completed = fake_stripe.complete_checkout(await subscription_checkout(app, buyer))
    fake_stripe.cancel(completed["subscription"])  # at once: customer.subscription.deleted
    created, paid, checkout, deleted = fake_stripe.take_events()
    assert deleted["type"] == "customer.subscription.deleted"

    # All delivered at once and handled by concurrent jobs, the deletion first.
    for event in (deleted, checkout, paid, created):
        assert await fake_stripe.deliver(event) == [200]
    await drain_jobs(app)

    [row] = await mirror(owner_conn, buyer.company_id)
    assert row["status"] == "canceled" and row["ended_at"] is not None
    refused = await start_practice(client, rep)
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "subscription_inactive"


async def test_one_event_delivered_twice_ten_times_at_once_and_under_new_ids_grants_once(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    fake_stripe.complete_checkout(await subscription_checkout(app, buyer))
    events = fake_stripe.take_events()
    await delivered_and_handled(app, fake_stripe, events)
    await use_minutes(owner_conn, buyer.company_id, 5)
    paid = of_type(events, "invoice.paid")

    assert await fake_stripe.deliver(paid, times=2) == [200, 200]
    at_once = await asyncio.gather(*(fake_stripe.deliver(paid) for _ in range(10)))
    # The inbox keeps one row per event id; the grant itself is once per invoice, whatever the
    # event's id, so copies under new ids (handled concurrently) change nothing either.
    copies = await asyncio.gather(*(fake_stripe.deliver(copy_with_new_id(paid))
                                    for _ in range(10)))
    await drain_jobs(app)

    assert at_once == [[200]] * 10 and copies == [[200]] * 10
    assert len(await grants(owner_conn, buyer.company_id)) == 1
    quota = await company_quota(owner_conn, buyer.company_id)
    assert (quota["total_minutes"], quota["used_minutes"]) == (300, 5)  # not doubled, not reset
    assert {row["status"] for row in await inbox_rows(owner_conn)} == {"processed"}


@pytest.mark.parametrize("failure", [500, None], ids=["stripe_answers_500", "connection_lost"])
async def test_a_handler_that_fails_on_stripe_leaves_the_event_unhandled_and_its_retry_grants(
    client, app, owner_url, owner_conn, fake_stripe, failure
):
    buyer = await customer(client, app, owner_url, owner_conn)
    trial_quota = await company_quota(owner_conn, buyer.company_id)
    fake_stripe.complete_checkout(await subscription_checkout(app, buyer))
    paid = of_type(fake_stripe.take_events(), "invoice.paid")

    assert await fake_stripe.deliver(paid) == [200]  # stored in the inbox, handled later
    fake_stripe.fail_next(1, status=failure)  # the handler's read of the subscription fails
    await drain_jobs(app)

    [event] = await inbox_rows(owner_conn)
    assert (event["status"], event["handled_at"], event["attempts"]) == ("pending", None, 1)
    assert event["last_error"].startswith("BillingUnavailableError")
    assert await mirror(owner_conn, buyer.company_id) == []
    assert await grants(owner_conn, buyer.company_id) == []
    assert await company_quota(owner_conn, buyer.company_id) == trial_quota

    await bring_retries_forward(owner_conn)
    await drain_jobs(app)

    [event] = await inbox_rows(owner_conn)
    assert event["status"] == "processed"
    assert (await company_quota(owner_conn, buyer.company_id))["total_minutes"] == 300
    assert [row["status"] for row in await mirror(owner_conn, buyer.company_id)] == ["active"]


async def test_a_renewal_resets_used_minutes_once_and_an_older_invoice_arriving_late_does_not(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    subscription_id = await subscribed(app, fake_stripe, buyer)
    first_period, _ = item_period(fake_stripe, subscription_id)
    await use_minutes(owner_conn, buyer.company_id, 120)

    fake_stripe.renew(subscription_id)
    await delivered_and_handled(app, fake_stripe)
    second_period, _ = item_period(fake_stripe, subscription_id)
    assert await company_quota(owner_conn, buyer.company_id) == {
        "total_minutes": 300, "used_minutes": 0, "period_start": second_period}

    # Two more renewals; the newest invoice's event is handled first, the older one's late.
    fake_stripe.renew(subscription_id)
    older = of_type(fake_stripe.take_events(), "invoice.paid")
    fake_stripe.renew(subscription_id)
    newest = fake_stripe.take_events()
    fourth_period, _ = item_period(fake_stripe, subscription_id)
    await delivered_and_handled(app, fake_stripe, newest)
    await use_minutes(owner_conn, buyer.company_id, 40)
    await delivered_and_handled(app, fake_stripe, [older])
    await delivered_and_handled(app, fake_stripe, [copy_with_new_id(of_type(newest,
                                                                           "invoice.paid"))])

    assert await company_quota(owner_conn, buyer.company_id) == {
        "total_minutes": 300, "used_minutes": 40, "period_start": fourth_period}
    granted = [g["period_start"] for g in await grants(owner_conn, buyer.company_id)]
    assert granted == [first_period, second_period, fourth_period]  # never the third
    [row] = await mirror(owner_conn, buyer.company_id)
    assert row["current_period_start"] == fourth_period


async def test_a_deleted_subscription_stops_practice_and_a_new_paid_one_brings_minutes_back(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    rep = await invited_member(client, owner_url, buyer.email)
    await end_trial(owner_conn, buyer.company_id)
    first = await subscribed(app, fake_stripe, buyer)
    await use_minutes(owner_conn, buyer.company_id, 300)  # every minute of the period used

    fake_stripe.advance(7 * 86_400)
    fake_stripe.cancel(first)
    await delivered_and_handled(app, fake_stripe)
    refused = await start_practice(client, rep)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "subscription_inactive"

    fake_stripe.advance(86_400)  # subscribed again the next day
    second = await subscribed(app, fake_stripe, buyer)
    started = await start_practice(client, rep)
    assert started.status_code == 201, started.text
    assert started.json()["minutes_remaining"] == 299
    statuses = {row["stripe_subscription_id"]: row["status"]
                for row in await mirror(owner_conn, buyer.company_id)}
    assert statuses == {first: "canceled", second: "active"}


async def test_a_plan_change_makes_the_total_the_new_plans_minutes_plus_this_periods_top_ups(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    subscription_id = await subscribed(app, fake_stripe, buyer, "starter")
    fake_stripe.complete_checkout(await top_up_checkout(app, buyer, "minutes-100"))
    await delivered_and_handled(app, fake_stripe)
    await use_minutes(owner_conn, buyer.company_id, 50)
    assert (await company_quota(owner_conn, buyer.company_id))["total_minutes"] == 400

    gateway, settings = context_of(app).providers.billing, context_of(app).settings
    team = plan_by_id(settings, "team")
    assert team is not None
    team_price = await gateway.find_or_create_price(new_price(team))
    await gateway.change_price(
        subscription_id=subscription_id,
        item_id=fake_stripe.subscriptions[subscription_id]["items"]["data"][0]["id"],
        price_id=team_price, metadata={"pitchlab_plan_id": "team"},
        idempotency_key="test-plan-change",
    )
    await delivered_and_handled(app, fake_stripe)

    quota = await company_quota(owner_conn, buyer.company_id)
    assert (quota["total_minutes"], quota["used_minutes"]) == (1500 + 100, 50)
    [row] = await mirror(owner_conn, buyer.company_id)
    assert (row["plan_id"], row["stripe_price_id"]) == ("team", team_price)


async def test_a_second_invoice_for_a_period_already_granted_does_not_reset_it(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    fake_stripe.complete_checkout(await subscription_checkout(app, buyer))
    events = fake_stripe.take_events()
    await delivered_and_handled(app, fake_stripe, events)
    await use_minutes(owner_conn, buyer.company_id, 70)

    # Another invoice for the same period (Stripe re-issues a voided one): the period's minutes
    # were given already.
    reissued = copy_with_new_id(of_type(events, "invoice.paid"))
    reissued["data"]["object"]["id"] = "in_reissued0000000000000000"
    await delivered_and_handled(app, fake_stripe, [reissued])

    assert (await company_quota(owner_conn, buyer.company_id))["used_minutes"] == 70
    assert len(await grants(owner_conn, buyer.company_id)) == 1


class SlowFirstRead:
    """The app's gateway, except that its first read of a subscription is held back (after it
    was read) until released: one handler's slow read while another handler reads and writes."""

    def __init__(self, gateway) -> None:
        self.gateway = gateway
        self.read, self.release = asyncio.Event(), asyncio.Event()

    def __getattr__(self, name: str):
        return getattr(self.gateway, name)

    async def retrieve_subscription(self, subscription_id: str):
        found = await self.gateway.retrieve_subscription(subscription_id)
        if not self.read.is_set():
            self.read.set()
            await self.release.wait()
        return found


async def test_a_slow_read_of_an_older_state_is_never_written_over_a_newer_one(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    subscription_id = await subscribed(app, fake_stripe, buyer)
    context = context_of(app)
    slow = SlowFirstRead(context.providers.billing)
    resources = WorkerResources(context.settings, context.database,
                                dataclasses.replace(context.providers, billing=slow))

    async def handling(event: dict) -> asyncio.Task:
        assert await fake_stripe.deliver(event) == [200]
        [row] = [r for r in await inbox_rows(owner_conn) if r["event_id"] == event["id"]]
        return asyncio.create_task(webhooks.handle(resources, row["id"], last_try=False))

    fake_stripe.cancel(subscription_id, at_period_end=True)
    [scheduled] = fake_stripe.take_events()
    first = await handling(scheduled)
    await slow.read.wait()  # it has read the subscription, still active, and is held there
    fake_stripe.cancel(subscription_id)  # ended now
    [deleted] = fake_stripe.take_events()
    second = await handling(deleted)

    async def second_waits_or_ended() -> bool:
        waiting = await (await owner_conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE '%%pg_advisory_xact_lock%%'"
        )).fetchone()
        return bool(waiting[0]) or second.done()

    await eventually(second_waits_or_ended, within=10, every=0.02)
    slow.release.set()
    await asyncio.gather(first, second)

    [row] = await mirror(owner_conn, buyer.company_id)
    assert row["status"] == "canceled"
    await drain_jobs(app)  # their queued jobs find the events handled
    assert {row["status"] for row in await inbox_rows(owner_conn)} == {"processed"}
