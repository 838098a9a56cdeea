"""What Stripe's events tell a company's admins (never its reps), each once: a failed payment
(the subscription is then past due and practice goes on), a Stripe trial about to end, and a
cancellation (scheduled for the period's end, then carried out: one email)."""

from __future__ import annotations

import stripe

from pitchlab.billing.catalogue import new_price, plan_by_id
from pitchlab.deps import context_of
from tests.auth.helpers import invited_member
from tests.billing.conftest import STRIPE_API_KEY
from tests.billing.stripe_flows import (
    Customer,
    copy_with_new_id,
    customer,
    delivered_and_handled,
    emails_of,
    end_trial,
    mirror,
    of_type,
    session_id_of,
    start_practice,
    subscribed,
)


async def kinds(owner_conn, address: str) -> list[str]:
    return [mail["kind"] for mail in await emails_of(owner_conn, address)]


async def test_a_failed_renewal_makes_the_subscription_past_due_and_emails_each_admin_once(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    other_admin = await invited_member(client, owner_url, buyer.email, role="admin")
    rep = await invited_member(client, owner_url, buyer.email)
    await end_trial(owner_conn, buyer.company_id)
    subscription_id = await subscribed(app, fake_stripe, buyer)

    fake_stripe.fail_renewal(subscription_id)
    events = fake_stripe.take_events()
    await delivered_and_handled(app, fake_stripe, events)
    failed = of_type(events, "invoice.payment_failed")
    await delivered_and_handled(app, fake_stripe, [failed, copy_with_new_id(failed)])

    [row] = await mirror(owner_conn, buyer.company_id)
    assert row["status"] == "past_due"
    started = await start_practice(client, rep)  # Stripe retries the payment: practice goes on
    assert started.status_code == 201, started.text
    for admin in (buyer.email, other_admin["email"]):
        [mail] = [m for m in await emails_of(owner_conn, admin) if m["kind"] == "payment_failed"]
        assert "$49.00" in mail["text_body"] and "Acme" in mail["text_body"]
    assert "payment_failed" not in await kinds(owner_conn, rep["email"])


async def test_a_failed_payment_stripe_has_not_yet_marked_past_due_is_recorded_past_due(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    subscription_id = await subscribed(app, fake_stripe, buyer)
    invoice = fake_stripe.fail_renewal(subscription_id)
    failed = of_type(fake_stripe.take_events(), "invoice.payment_failed")
    # The event is read while Stripe still calls the subscription active, its latest invoice
    # the unpaid one (Stripe moves the status a moment after the payment fails).
    fake_stripe.subscriptions[subscription_id]["status"] = "active"

    await delivered_and_handled(app, fake_stripe, [failed])
    assert [row["status"] for row in await mirror(owner_conn, buyer.company_id)] == ["past_due"]

    # Once that invoice is paid, the same news read again leaves the subscription active.
    fake_stripe.pay_invoice(invoice["id"])
    fake_stripe.take_events()
    await delivered_and_handled(app, fake_stripe, [copy_with_new_id(failed)])
    assert [row["status"] for row in await mirror(owner_conn, buyer.company_id)] == ["active"]


async def trialing_subscription(app, fake, buyer: Customer, trial_days: int) -> str:
    """A checkout with a Stripe trial (made with the SDK: Pitchlab's own checkouts have none),
    completed, its events handled; the subscription's id."""
    settings = context_of(app).settings
    plan = plan_by_id(settings, "starter")
    assert plan is not None
    price_id = await context_of(app).providers.billing.find_or_create_price(new_price(plan))
    sdk = stripe.StripeClient(STRIPE_API_KEY, base_addresses={"api": settings.stripe_api_base})
    checkout = await sdk.v1.checkout.sessions.create_async({
        "mode": "subscription", "customer": buyer.customer_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": "http://testserver/ok", "cancel_url": "http://testserver/back",
        "subscription_data": {"trial_period_days": trial_days,
                              "metadata": {"pitchlab_company_id": str(buyer.company_id)}},
    })
    completed = fake.complete_checkout(session_id_of(str(checkout.url)))
    await delivered_and_handled(app, fake)
    return str(completed["subscription"])


async def test_trial_will_end_emails_the_admins_once_with_the_trials_end(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    rep = await invited_member(client, owner_url, buyer.email)
    subscription_id = await trialing_subscription(app, fake_stripe, buyer, trial_days=14)
    [row] = await mirror(owner_conn, buyer.company_id)
    assert row["status"] == "trialing" and row["trial_end"] is not None

    fake_stripe.trial_will_end(subscription_id)
    [warning] = fake_stripe.take_events()
    await delivered_and_handled(app, fake_stripe, [warning, copy_with_new_id(warning)])

    [mail] = [m for m in await emails_of(owner_conn, buyer.email) if m["kind"] == "trial_ending"]
    assert row["trial_end"].strftime("%d %B %Y") in mail["subject"]
    assert "trial_ending" not in await kinds(owner_conn, rep["email"])


async def test_a_cancellation_at_period_end_then_the_deletion_send_one_email(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    rep = await invited_member(client, owner_url, buyer.email)
    subscription_id = await subscribed(app, fake_stripe, buyer)

    fake_stripe.cancel(subscription_id, at_period_end=True)
    await delivered_and_handled(app, fake_stripe)
    [mail] = await emails_of(owner_conn, buyer.email)
    assert mail["kind"] == "subscription_cancelled"
    assert "Practice stays open until" in mail["text_body"]

    fake_stripe.renew(subscription_id)  # the period ends: Stripe deletes the subscription
    await delivered_and_handled(app, fake_stripe)
    [row] = await mirror(owner_conn, buyer.company_id)
    assert row["status"] == "canceled"
    assert await kinds(owner_conn, buyer.email) == ["subscription_cancelled"]
    assert await kinds(owner_conn, rep["email"]) == []
