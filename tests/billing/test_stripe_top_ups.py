"""A paid top-up checkout adds its pack's minutes to the current period, once, however often and
however concurrently its event arrives; an unpaid one adds nothing until it is paid."""

from __future__ import annotations

import asyncio

from tests.auth.helpers import drain_jobs
from tests.billing.stripe_flows import (
    company_quota,
    copy_with_new_id,
    customer,
    delivered_and_handled,
    grants,
    top_up_checkout,
)
from tests.webhooks.helpers import inbox_rows


async def test_a_top_up_adds_its_minutes_once_however_often_it_is_delivered(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    trial = await company_quota(owner_conn, buyer.company_id)
    checkout_id = await top_up_checkout(app, buyer, "minutes-100")
    fake_stripe.complete_checkout(checkout_id)
    [completed] = fake_stripe.take_events()

    assert await fake_stripe.deliver(completed, times=2) == [200, 200]
    together = await asyncio.gather(
        *(fake_stripe.deliver(completed) for _ in range(10)),
        *(fake_stripe.deliver(copy_with_new_id(completed)) for _ in range(10)),
    )
    await drain_jobs(app)

    assert together == [[200]] * 20
    assert await company_quota(owner_conn, buyer.company_id) == {
        **trial, "total_minutes": trial["total_minutes"] + 100}
    assert await grants(owner_conn, buyer.company_id) == [{
        "kind": "top_up", "stripe_object_id": checkout_id, "item_id": "minutes-100",
        "minutes": 100, "period_start": trial["period_start"]}]
    assert {row["status"] for row in await inbox_rows(owner_conn)} == {"processed"}


async def test_two_top_ups_add_up_and_an_unpaid_one_adds_nothing(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    trial_total = (await company_quota(owner_conn, buyer.company_id))["total_minutes"]

    fake_stripe.complete_checkout(await top_up_checkout(app, buyer, "minutes-100"))
    fake_stripe.complete_checkout(await top_up_checkout(app, buyer, "minutes-500"))
    fake_stripe.complete_checkout(await top_up_checkout(app, buyer, "minutes-500"), paid=False)
    await delivered_and_handled(app, fake_stripe)

    quota = await company_quota(owner_conn, buyer.company_id)
    assert quota["total_minutes"] == trial_total + 100 + 500
    assert sorted(g["minutes"] for g in await grants(owner_conn, buyer.company_id)) == [100, 500]


async def test_a_top_up_paid_after_its_checkout_completed_is_granted_when_the_payment_lands(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    trial_total = (await company_quota(owner_conn, buyer.company_id))["total_minutes"]
    checkout_id = await top_up_checkout(app, buyer, "minutes-100")
    fake_stripe.complete_checkout(checkout_id, paid=False)  # a bank debit, still on its way
    [completed] = fake_stripe.take_events()
    await delivered_and_handled(app, fake_stripe, [completed])
    assert (await company_quota(owner_conn, buyer.company_id))["total_minutes"] == trial_total

    # What Stripe sends when the payment arrives: the same session, now paid.
    landed = copy_with_new_id(completed)
    landed["type"] = "checkout.session.async_payment_succeeded"
    landed["data"]["object"]["payment_status"] = "paid"
    await delivered_and_handled(app, fake_stripe, [landed, copy_with_new_id(landed)])

    quota = await company_quota(owner_conn, buyer.company_id)
    assert quota["total_minutes"] == trial_total + 100
    assert [g["stripe_object_id"] for g in await grants(owner_conn, buyer.company_id)] == [
        checkout_id]
