"""Whose subscription an event is about: the company mapped to the Stripe customer, else the one
Pitchlab's metadata names - never a company that pays through another customer, and nobody's
when neither says (logged, the event counted as processed: retrying cannot find a company)."""

from __future__ import annotations

import logging
import uuid

from pitchlab.billing.catalogue import new_price, plan_by_id
from pitchlab.deps import context_of
from tests.billing.stripe_flows import (
    Customer,
    company_quota,
    customer,
    delivered_and_handled,
    grants,
    mirror,
    rows,
    session_id_of,
)
from tests.webhooks.helpers import inbox_rows


async def unmapped_customer(app, buyer: Customer) -> str:
    """Another Stripe customer, which no company's ``stripe_customer_id`` names."""
    return await context_of(app).providers.billing.create_customer(
        name="Somebody", email=None, metadata={}, idempotency_key=f"test-{uuid.uuid4()}")


async def checkout_for(app, customer_id: str, metadata: dict[str, str]) -> str:
    gateway, settings = context_of(app).providers.billing, context_of(app).settings
    plan = plan_by_id(settings, "starter")
    assert plan is not None
    url = await gateway.create_checkout(
        mode="subscription", customer_id=customer_id,
        price_id=await gateway.find_or_create_price(new_price(plan)),
        success_url="http://testserver/ok", cancel_url="http://testserver/back",
        metadata=metadata, idempotency_key=f"test-{uuid.uuid4()}",
    )
    return session_id_of(url)


async def test_a_subscription_of_no_known_company_is_logged_and_changes_nothing(
    client, app, owner_url, owner_conn, fake_stripe, caplog
):
    bystander = await customer(client, app, owner_url, owner_conn)
    before = await company_quota(owner_conn, bystander.company_id)
    stranger = await unmapped_customer(app, bystander)
    fake_stripe.complete_checkout(await checkout_for(app, stranger, {}))

    with caplog.at_level(logging.WARNING, logger="pitchlab.billing"):
        await delivered_and_handled(app, fake_stripe)

    assert {row["status"] for row in await inbox_rows(owner_conn)} == {"processed"}
    assert await rows(owner_conn, "SELECT id FROM subscriptions") == []
    assert await rows(owner_conn, "SELECT id FROM minute_grants") == []
    assert await company_quota(owner_conn, bystander.company_id) == before
    assert any("belongs to no company" in r.getMessage() and stranger in r.getMessage()
               for r in caplog.records)


async def test_a_customer_not_yet_mapped_is_found_by_pitchlabs_metadata(
    client, app, owner_url, owner_conn, fake_stripe
):
    buyer = await customer(client, app, owner_url, owner_conn)
    await owner_conn.execute("UPDATE companies SET stripe_customer_id = NULL WHERE id = %s",
                             (buyer.company_id,))
    fake_stripe.complete_checkout(await checkout_for(
        app, buyer.customer_id, {"pitchlab_company_id": str(buyer.company_id)}))
    await delivered_and_handled(app, fake_stripe)

    assert [row["status"] for row in await mirror(owner_conn, buyer.company_id)] == ["active"]
    assert (await company_quota(owner_conn, buyer.company_id))["total_minutes"] == 300


async def test_metadata_naming_a_company_that_pays_through_another_customer_is_not_followed(
    client, app, owner_url, owner_conn, fake_stripe
):
    victim = await customer(client, app, owner_url, owner_conn)
    before = await company_quota(owner_conn, victim.company_id)
    stranger = await unmapped_customer(app, victim)
    fake_stripe.complete_checkout(await checkout_for(
        app, stranger, {"pitchlab_company_id": str(victim.company_id)}))
    await delivered_and_handled(app, fake_stripe)

    assert await mirror(owner_conn, victim.company_id) == []
    assert await grants(owner_conn, victim.company_id) == []
    assert await company_quota(owner_conn, victim.company_id) == before
