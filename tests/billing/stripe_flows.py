"""Steps of the Stripe webhook tests: a company that buys through the fake Stripe (by the app's
own gateway, as the billing endpoints do), deliveries handled by the queue, and looks at the
mirror, the quota and the grants as the owner sees them."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg import AsyncConnection

from pitchlab.billing.catalogue import new_price, pack_by_id, plan_by_id
from pitchlab.deps import context_of
from tests.auth.helpers import bearer, drain_jobs, signed_up


@dataclass
class Customer:
    """A company's admin (signed in) and its Stripe customer, mapped as the endpoints map it."""

    tokens: dict
    email: str
    company_id: uuid.UUID
    customer_id: str


async def customer(client, app, owner_url, owner_conn: AsyncConnection) -> Customer:
    tokens = await signed_up(client, app, owner_url)
    me = (await client.get("/api/users/me", headers=bearer(tokens))).json()
    company_id = uuid.UUID(me["company"]["id"])
    customer_id = await context_of(app).providers.billing.create_customer(
        name=me["company"]["name"], email=tokens["email"],
        metadata={"pitchlab_company_id": str(company_id)},
        idempotency_key=f"test-customer-{company_id}",
    )
    await owner_conn.execute("UPDATE companies SET stripe_customer_id = %s WHERE id = %s",
                             (customer_id, company_id))
    return Customer(tokens, tokens["email"], company_id, customer_id)


async def subscription_checkout(app, buyer: Customer, plan_id: str = "starter") -> str:
    """A Checkout Session in subscription mode, with Pitchlab's metadata; its id."""
    gateway, settings = context_of(app).providers.billing, context_of(app).settings
    plan = plan_by_id(settings, plan_id)
    assert plan is not None
    metadata = {"pitchlab_company_id": str(buyer.company_id), "pitchlab_plan_id": plan.id}
    url = await gateway.create_checkout(
        mode="subscription", customer_id=buyer.customer_id,
        price_id=await gateway.find_or_create_price(new_price(plan)),
        success_url="http://testserver/ok", cancel_url="http://testserver/back",
        metadata=metadata, idempotency_key=f"test-checkout-{uuid.uuid4()}",
    )
    return session_id_of(url)


async def top_up_checkout(app, buyer: Customer, pack_id: str = "minutes-100") -> str:
    """A Checkout Session in payment mode for a top-up pack; its id."""
    gateway, settings = context_of(app).providers.billing, context_of(app).settings
    pack = pack_by_id(settings, pack_id)
    assert pack is not None
    metadata = {"pitchlab_company_id": str(buyer.company_id),
                "pitchlab_top_up_pack_id": pack.id, "pitchlab_minutes": str(pack.minutes)}
    url = await gateway.create_checkout(
        mode="payment", customer_id=buyer.customer_id,
        price_id=await gateway.find_or_create_price(new_price(pack)),
        success_url="http://testserver/ok", cancel_url="http://testserver/back",
        metadata=metadata, idempotency_key=f"test-top-up-{uuid.uuid4()}",
    )
    return session_id_of(url)


def session_id_of(checkout_url: str) -> str:
    return checkout_url.rstrip("/").rsplit("/", 1)[-1]


async def subscribed(app, fake, buyer: Customer, plan_id: str = "starter") -> str:
    """The buyer completes a subscription checkout; every event is delivered and handled. The
    subscription's id."""
    completed = fake.complete_checkout(await subscription_checkout(app, buyer, plan_id))
    await delivered_and_handled(app, fake)
    return completed["subscription"]


async def delivered_and_handled(app, fake, events: list[dict] | None = None) -> None:
    """Deliver ``events`` (default: every undelivered one) in order, each accepted, then run
    the queue to the end."""
    for event in fake.take_events() if events is None else events:
        assert await fake.deliver(event) == [200]
    await drain_jobs(app)


def copy_with_new_id(event: dict) -> dict:
    """The same news under another event id: what the inbox does not recognise as a duplicate,
    so only the handler's own once-only rule keeps it from acting twice."""
    again = copy.deepcopy(event)
    again["id"] = f"evt_{uuid.uuid4().hex[:24]}"
    return again


def of_type(events: list[dict], event_type: str) -> dict:
    [found] = [event for event in events if event["type"] == event_type]
    return found


def at(unix_seconds: int) -> datetime:
    return datetime.fromtimestamp(unix_seconds, UTC)


def item_period(fake, subscription_id: str) -> tuple[datetime, datetime]:
    """The current period of the subscription as the fake Stripe holds it."""
    item = fake.subscriptions[subscription_id]["items"]["data"][0]
    return at(item["current_period_start"]), at(item["current_period_end"])


# --- the owner's view --------------------------------------------------------------------------


async def rows(conn: AsyncConnection, query: str, *params) -> list[dict]:
    cursor = await conn.execute(query, params)
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]


async def mirror(conn: AsyncConnection, company_id: uuid.UUID) -> list[dict]:
    return await rows(
        conn,
        "SELECT stripe_subscription_id, plan_id, status, stripe_price_id, current_period_start,"
        " current_period_end, cancel_at_period_end, canceled_at, ended_at, trial_end"
        " FROM subscriptions WHERE company_id = %s ORDER BY created_at", company_id,
    )


async def company_quota(conn: AsyncConnection, company_id: uuid.UUID) -> dict:
    [quota] = await rows(
        conn, "SELECT total_minutes, used_minutes, period_start FROM minute_quotas"
        " WHERE company_id = %s AND user_id IS NULL", company_id,
    )
    return quota


async def grants(conn: AsyncConnection, company_id: uuid.UUID) -> list[dict]:
    return await rows(
        conn, "SELECT kind, stripe_object_id, item_id, minutes, period_start FROM minute_grants"
        " WHERE company_id = %s ORDER BY created_at", company_id,
    )


async def use_minutes(conn: AsyncConnection, company_id: uuid.UUID, used: int) -> None:
    await conn.execute("UPDATE minute_quotas SET used_minutes = %s WHERE company_id = %s"
                       " AND user_id IS NULL", (used, company_id))


async def end_trial(conn: AsyncConnection, company_id: uuid.UUID) -> None:
    await conn.execute("UPDATE companies SET trial_expires_at = now() - interval '1 day'"
                       " WHERE id = %s", (company_id,))


async def emails_of(conn: AsyncConnection, address: str) -> list[dict]:
    return await rows(conn, "SELECT kind, subject, text_body FROM email_outbox"
                            " WHERE lower(to_address) = lower(%s) ORDER BY created_at", address)


async def start_practice(client, tokens: dict):
    return await client.post("/api/sessions/start", headers=bearer(tokens), json={"mode": "text"})
