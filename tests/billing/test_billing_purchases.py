"""Buying through the billing endpoints, against the fake Stripe (tests/fakes/stripe_server.py)
that the real SDK adapter talks to over HTTP: subscribe (Checkout) or change plan (proration),
top-ups, the billing portal, invoices. Each create is made once however often it is asked for,
Stripe failing is a 503 that leaves nothing behind, and no company reaches another's billing.

Subscriptions are put in the mirror directly here, as the webhooks leave them (the webhooks have
their own tests), so each test is about what its endpoint does."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from pitchlab.config import Plan
from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of, install_context
from tests.auth.helpers import bearer, invited_member, signed_up
from tests.billing.test_billing_http import (
    ADMIN_ONLY,
    add_subscription,
    call,
    company_of,
    stripe_customer_of,
)
from tests.practice.helpers import start
from tests.practice.test_mid_call import colleague

SUBSCRIBE = "/api/subscriptions/subscribe"
TOP_UPS = "/api/billing/top-ups"
PORTAL = "/api/billing/portal"
INVOICES = "/api/billing/invoices"


# --- helpers -----------------------------------------------------------------------------------


async def subscribe(client, tokens: dict, plan_id: str = "starter"):
    return await client.post(SUBSCRIBE, headers=bearer(tokens), json={"plan_id": plan_id})


async def checkout_url(client, tokens: dict, plan_id: str = "starter") -> str:
    response = await subscribe(client, tokens, plan_id)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"checkout_url"}
    return response.json()["checkout_url"]


def session_at(fake, url: str) -> dict:
    """The Checkout Session whose page ``url`` is."""
    [session] = [s for s in fake.checkout_sessions.values() if s["url"] == url]
    return session


def creates(fake, path: str) -> list:
    """The POSTs Pitchlab sent to ``path`` (replays included)."""
    return [r for r in fake.requests if r.method == "POST" and r.path == path]


async def second_admin(client, owner_url, of_email: str) -> dict:
    """Another admin of the same company, joined by invitation and signed in."""
    return await invited_member(client, owner_url, of_email, "admin", voice_consent=False)


async def subscribed(client, fake, owner_url, tokens: dict, plan_id: str = "starter") -> dict:
    """The company pays a Checkout for ``plan_id``; its mirror row is written as the webhooks
    would. The Stripe subscription, as it was then."""
    session = session_at(fake, await checkout_url(client, tokens, plan_id))
    completed = fake.complete_checkout(session["id"])
    subscription = copy.deepcopy(fake.subscriptions[completed["subscription"]])
    add_subscription(owner_url, company_of(owner_url, tokens["email"]),
                     stripe_id=subscription["id"], plan_id=plan_id,
                     status=subscription["status"],
                     price_id=subscription["items"]["data"][0]["price"]["id"])
    return subscription


def quota_total(owner_url, company_id: uuid.UUID) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT total_minutes FROM minute_quotas WHERE company_id = %s"
                            " AND user_id IS NULL", (company_id,)).fetchone()[0]


def add_top_up_grant(owner_url, company_id: uuid.UUID, minutes: int) -> None:
    """A paid top-up, as its webhook records it: granted to the company's current period."""
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO minute_grants"
            " (company_id, kind, stripe_object_id, item_id, minutes, period_start)"
            " SELECT %s, 'top_up', %s, 'minutes-100', %s, period_start FROM minute_quotas"
            " WHERE company_id = %s AND user_id IS NULL",
            (company_id, f"cs_test_{uuid.uuid4().hex}", minutes, company_id))


@contextlib.contextmanager
def settings_changed(app, **updates) -> Iterator[None]:
    context = context_of(app)
    install_context(app, dataclasses.replace(
        context, settings=context.settings.model_copy(update=updates)))
    try:
        yield
    finally:
        install_context(app, context)


def docs(app, query: str = "") -> str:
    """Where Stripe sends the admin back by default: the API's docs on the public URL."""
    return context_of(app).settings.public_url.rstrip("/") + "/docs" + query


def assert_billing_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "billing_unavailable"
    assert response.headers["retry-after"] == "30"


# --- subscribe: Checkout --------------------------------------------------------------------


async def test_subscribing_opens_a_checkout_for_the_plan_with_the_companys_customer(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    session = session_at(fake_stripe, await checkout_url(client, tokens, "team"))

    assert (session["mode"], session["status"]) == ("subscription", "open")
    customer = fake_stripe.customers[session["customer"]]
    assert customer["metadata"] == {"pitchlab_company_id": str(company)}
    assert customer["name"] == "Acme"
    assert stripe_customer_of(owner_url, company) == customer["id"]
    metadata = {"pitchlab_company_id": str(company), "pitchlab_plan_id": "team"}
    assert session["metadata"] == metadata
    [checkout] = creates(fake_stripe, "/v1/checkout/sessions")
    assert checkout.params["subscription_data"] == {"metadata": metadata}
    [line] = checkout.params["line_items"]
    price = fake_stripe.prices[line["price"]]
    assert (price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (
        19900, "usd", "month")
    assert price["metadata"] == {"pitchlab_plan_id": "team"}
    assert session["success_url"] == docs(app, "?checkout=success")
    assert session["cancel_url"] == docs(app, "?checkout=cancelled")


async def test_the_same_subscribe_twice_makes_one_customer_one_price_one_checkout(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    first = await checkout_url(client, tokens)
    again = await checkout_url(client, tokens)
    assert again == first
    assert len(fake_stripe.customers) == len(fake_stripe.prices) == 1
    assert len(fake_stripe.checkout_sessions) == 1
    # The second checkout was the first replayed by its key, not a new one refused.
    first_key, second_key = (r.idempotency_key for r in creates(fake_stripe,
                                                                "/v1/checkout/sessions"))
    assert first_key == second_key


async def test_two_admins_subscribing_at_once_make_one_customer_and_one_checkout(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    other = await second_admin(client, owner_url, tokens["email"])
    answers = await asyncio.gather(subscribe(client, tokens), subscribe(client, other))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert len(fake_stripe.customers) == 1
    assert len(fake_stripe.checkout_sessions) == 1
    # The row lock: the second admin found the first's customer and asked Stripe for none.
    assert len(creates(fake_stripe, "/v1/customers")) == 1


async def test_a_new_intent_is_a_new_checkout_not_the_old_one_replayed(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    starter = await checkout_url(client, tokens, "starter")
    team = await checkout_url(client, tokens, "team")
    assert team != starter
    # A subscription came and went: subscribing again is a new purchase.
    subscription = await subscribed(client, fake_stripe, owner_url, tokens, "starter")
    fake_stripe.cancel(subscription["id"])
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE subscriptions SET status = 'canceled' WHERE"
                     " stripe_subscription_id = %s", (subscription["id"],))
    again = await checkout_url(client, tokens, "starter")
    assert again not in (starter, team)
    assert session_at(fake_stripe, again)["status"] == "open"
    assert len(fake_stripe.customers) == 1


# --- subscribe: plan change -----------------------------------------------------------------


async def test_changing_plan_moves_the_subscription_prorated_and_gives_the_new_minutes(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    subscription = await subscribed(client, fake_stripe, owner_url, tokens, "starter")
    add_top_up_grant(owner_url, company, 100)  # bought this period: kept across the change
    requests_before = len(fake_stripe.requests)

    response = await subscribe(client, tokens, "team")
    assert response.status_code == 200, response.text
    changed = response.json()["subscription"]
    assert (changed["plan_id"], changed["status"]) == ("team", "active")
    [change] = fake_stripe.price_changes
    item = subscription["items"]["data"][0]
    assert (change.subscription, change.item, change.from_price) == (
        subscription["id"], item["id"], item["price"]["id"])
    assert fake_stripe.prices[change.to_price]["metadata"] == {"pitchlab_plan_id": "team"}
    assert change.proration_behavior == "create_prorations"
    assert quota_total(owner_url, company) == 1500 + 100
    overview = (await client.get("/api/subscriptions", headers=bearer(tokens))).json()
    assert overview["subscription"] == changed
    assert overview["usage"]["total_minutes"] == 1600
    # Stripe was asked for the subscription, the price and the change; no checkout, no customer
    paths = {r.path for r in fake_stripe.requests[requests_before:]}
    assert "/v1/checkout/sessions" not in paths and "/v1/customers" not in paths


async def test_two_plan_changes_at_once_end_as_stripe_holds_the_subscription(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    other = await second_admin(client, owner_url, tokens["email"])
    subscription = await subscribed(client, fake_stripe, owner_url, tokens, "starter")
    answers = await asyncio.gather(subscribe(client, tokens, "team"),
                                   subscribe(client, other, "scale"))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    first, second = fake_stripe.price_changes
    assert second.from_price == first.to_price  # the second started where the first ended
    held = fake_stripe.subscriptions[subscription["id"]]["items"]["data"][0]["price"]
    overview = (await client.get("/api/subscriptions", headers=bearer(tokens))).json()
    assert overview["subscription"]["plan_id"] == held["metadata"]["pitchlab_plan_id"]
    minutes = {"team": 1500, "scale": 6000}[overview["subscription"]["plan_id"]]
    assert overview["usage"]["total_minutes"] == minutes


async def test_subscribing_to_the_plan_held_asks_stripe_nothing(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    await subscribed(client, fake_stripe, owner_url, tokens, "starter")
    requests_before = len(fake_stripe.requests)
    response = await subscribe(client, tokens, "starter")
    assert response.status_code == 200
    assert response.json()["subscription"]["plan_id"] == "starter"
    assert len(fake_stripe.requests) == requests_before
    assert fake_stripe.price_changes == []


async def test_a_subscription_stripe_ended_meanwhile_means_a_new_checkout(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    subscription = await subscribed(client, fake_stripe, owner_url, tokens, "starter")
    fake_stripe.cancel(subscription["id"])  # its webhook has not arrived: the mirror is stale
    url = await checkout_url(client, tokens, "team")
    assert session_at(fake_stripe, url)["status"] == "open"
    assert fake_stripe.price_changes == []
    overview = (await client.get("/api/subscriptions", headers=bearer(tokens))).json()
    assert overview["subscription"]["status"] == "canceled"  # the mirror caught up


async def test_one_company_never_changes_anothers_subscription(
    client, app, owner_url, fake_stripe
):
    owner = await signed_up(client, app, owner_url)
    await subscribed(client, fake_stripe, owner_url, owner, "starter")
    stranger = await signed_up(client, app, owner_url)
    url = await checkout_url(client, stranger, "team")  # the stranger has no subscription
    assert session_at(fake_stripe, url)["customer"] == stripe_customer_of(
        owner_url, company_of(owner_url, stranger["email"]))
    assert fake_stripe.price_changes == []


# --- Stripe failing ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 429, None], ids=["500", "429", "connection-dropped"])
async def test_stripe_failing_is_a_503_that_stores_nothing_and_the_retry_works(
    client, app, owner_url, fake_stripe, status
):
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    fake_stripe.fail_next(1, status)
    assert_billing_unavailable(await subscribe(client, tokens))
    assert stripe_customer_of(owner_url, company) is None
    assert fake_stripe.customers == {}
    # Practice does not depend on Stripe.
    assert (await start(client, tokens, mode="text"))["status"] == "in_progress"

    url = await checkout_url(client, tokens)
    assert stripe_customer_of(owner_url, company) == session_at(fake_stripe, url)["customer"]


async def test_a_customer_made_whose_answer_was_lost_is_found_again_by_the_retry(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    fake_stripe.fail_next(1, None, processed=True)  # Stripe made it; the answer never came
    assert_billing_unavailable(await subscribe(client, tokens))
    assert stripe_customer_of(owner_url, company) is None
    [made] = fake_stripe.customers

    url = await checkout_url(client, tokens)
    assert list(fake_stripe.customers) == [made]
    assert session_at(fake_stripe, url)["customer"] == made
    assert stripe_customer_of(owner_url, company) == made


async def test_a_checkout_whose_answer_was_lost_is_the_one_the_retry_gets(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    price = fake_stripe.add_price(unit_amount=4900, lookup_key="dashboard-starter")
    plans = (Plan(id="starter", name="Starter", minutes_per_period=300, price_cents=4900,
                  stripe_price_id=price["id"]),)
    with settings_changed(app, plans=plans):
        assert (await client.post(PORTAL, headers=bearer(tokens))).status_code == 200
        fake_stripe.fail_next(1, None, processed=True)  # the checkout is the only call now
        assert_billing_unavailable(await subscribe(client, tokens))
        [made] = fake_stripe.checkout_sessions
        url = await checkout_url(client, tokens)
    assert list(fake_stripe.checkout_sessions) == [made]
    assert session_at(fake_stripe, url)["id"] == made
    assert len(fake_stripe.prices) == 1  # the plan's own price: none made


async def test_a_failed_checkout_rolls_back_the_customer_id_and_the_retry_reuses_the_customer(
    client, app, owner_url, fake_stripe
):
    """The customer is made, then the checkout fails (the plan names a price Stripe does not
    have): nothing is stored; once the plan is fixed, the retry finds the same customer."""
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    broken = (Plan(id="starter", name="Starter", minutes_per_period=300, price_cents=4900,
                   stripe_price_id="price_doesNotExist"),)
    with settings_changed(app, plans=broken):
        assert_billing_unavailable(await subscribe(client, tokens))
    assert stripe_customer_of(owner_url, company) is None
    [made] = fake_stripe.customers
    url = await checkout_url(client, tokens)
    assert session_at(fake_stripe, url)["customer"] == made
    assert stripe_customer_of(owner_url, company) == made


async def test_a_plan_change_stripe_refuses_changes_nothing(client, app, owner_url, fake_stripe):
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    await subscribed(client, fake_stripe, owner_url, tokens, "starter")
    total = quota_total(owner_url, company)
    fake_stripe.fail_next(5, 500)
    assert_billing_unavailable(await subscribe(client, tokens, "team"))
    overview = (await client.get("/api/subscriptions", headers=bearer(tokens))).json()
    assert overview["subscription"]["plan_id"] == "starter"
    assert quota_total(owner_url, company) == total
    assert fake_stripe.price_changes == []


# --- who may buy, with Stripe there -----------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_a_rep_reaches_no_stripe(client, app, owner_url, fake_stripe, method, path, body):
    admin = await signed_up(client, app, owner_url)
    rep = await colleague(client, owner_url, admin["email"])
    response = await call(client, rep, method, path, body)
    assert response.status_code == 403
    assert fake_stripe.requests == []
    assert stripe_customer_of(owner_url, company_of(owner_url, admin["email"])) is None


async def test_an_unknown_plan_or_pack_reaches_no_stripe(client, app, owner_url, fake_stripe):
    tokens = await signed_up(client, app, owner_url)
    assert (await subscribe(client, tokens, "platinum")).json()["error"]["code"] == "unknown_plan"
    response = await client.post(TOP_UPS, headers=bearer(tokens), json={"pack_id": "nope"})
    assert response.json()["error"]["code"] == "unknown_top_up_pack"
    assert fake_stripe.requests == []


# --- top-ups ----------------------------------------------------------------------------------


async def buy(client, tokens: dict, pack_id: str = "minutes-100") -> str:
    response = await client.post(TOP_UPS, headers=bearer(tokens), json={"pack_id": pack_id})
    assert response.status_code == 200, response.text
    return response.json()["checkout_url"]


async def test_a_top_up_is_a_one_time_checkout_naming_its_pack(client, app, owner_url, fake_stripe):
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    session = session_at(fake_stripe, await buy(client, tokens, "minutes-500"))
    assert (session["mode"], session["status"]) == ("payment", "open")
    assert session["customer"] == stripe_customer_of(owner_url, company)
    assert session["metadata"] == {"pitchlab_company_id": str(company),
                                   "pitchlab_top_up_pack_id": "minutes-500",
                                   "pitchlab_minutes": "500"}
    [price] = fake_stripe.prices.values()
    assert (price["type"], price["unit_amount"]) == ("one_time", 7900)
    assert session["success_url"] == docs(app, "?top_up=success")


async def test_the_same_top_up_twice_is_one_checkout_until_one_is_paid(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    first = await buy(client, tokens)
    assert await buy(client, tokens) == first
    assert len(fake_stripe.checkout_sessions) == 1
    fake_stripe.complete_checkout(session_at(fake_stripe, first)["id"])
    add_top_up_grant(owner_url, company_of(owner_url, tokens["email"]), 100)  # its webhook
    assert await buy(client, tokens) != first
    assert len(fake_stripe.checkout_sessions) == 2


# --- the billing portal -----------------------------------------------------------------------


async def test_the_portal_makes_the_customer_when_missing_and_returns_a_session(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    company = company_of(owner_url, tokens["email"])
    response = await client.post(PORTAL, headers=bearer(tokens))
    assert response.status_code == 200, response.text
    [portal] = fake_stripe.portal_sessions.values()
    assert response.json() == {"portal_url": portal["url"]}
    assert portal["customer"] == stripe_customer_of(owner_url, company)
    assert portal["return_url"] == docs(app)
    # A double click is the same session; the company keeps its one customer.
    again = await client.post(PORTAL, headers=bearer(tokens))
    assert again.json() == response.json()
    assert len(fake_stripe.portal_sessions) == len(fake_stripe.customers) == 1


async def test_the_portal_returns_to_the_configured_billing_page(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    with settings_changed(app, billing_return_url="https://app.example.com/billing?tab=plan"):
        assert (await client.post(PORTAL, headers=bearer(tokens))).status_code == 200
        await checkout_url(client, tokens)
    [portal] = fake_stripe.portal_sessions.values()
    assert portal["return_url"] == "https://app.example.com/billing?tab=plan"
    [session] = fake_stripe.checkout_sessions.values()
    assert session["success_url"] == "https://app.example.com/billing?tab=plan&checkout=success"


# --- invoices ---------------------------------------------------------------------------------


async def invoices(client, tokens: dict, **params):
    return await client.get(INVOICES, headers=bearer(tokens), params=params)


async def test_no_customer_yet_means_no_invoices_and_no_stripe_call(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    response = await invoices(client, tokens)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}
    assert fake_stripe.requests == []


async def test_the_invoices_are_the_companys_newest_first_page_by_page(
    client, app, owner_url, fake_stripe
):
    tokens = await signed_up(client, app, owner_url)
    subscription = await subscribed(client, fake_stripe, owner_url, tokens)
    fake_stripe.renew(subscription["id"])
    fake_stripe.fail_renewal(subscription["id"])
    newest_first = list(reversed(fake_stripe.invoices.values()))
    assert len(newest_first) == 3

    first = await invoices(client, tokens, limit=2)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [i["id"] for i in page["items"]] == [i["id"] for i in newest_first[:2]]
    assert page["next_cursor"]
    second = (await invoices(client, tokens, limit=2, cursor=page["next_cursor"])).json()
    assert [i["id"] for i in second["items"]] == [newest_first[2]["id"]]
    assert second["next_cursor"] is None

    failed, stripe_failed = page["items"][0], newest_first[0]
    line_period = stripe_failed["lines"]["data"][0]["period"]
    assert failed == {
        "id": stripe_failed["id"], "number": stripe_failed["number"],
        "amount_cents": 4900, "currency": "usd", "status": "open",
        "hosted_invoice_url": stripe_failed["hosted_invoice_url"],
        "period_start": _iso(line_period["start"]), "period_end": _iso(line_period["end"]),
        "created_at": _iso(stripe_failed["created"]),
    }
    assert second["items"][0]["status"] == "paid"


async def test_an_invoice_cursor_works_for_its_company_only(client, app, owner_url, fake_stripe):
    owner = await signed_up(client, app, owner_url)
    subscription = await subscribed(client, fake_stripe, owner_url, owner)
    fake_stripe.renew(subscription["id"])
    cursor = (await invoices(client, owner, limit=1)).json()["next_cursor"]
    stranger = await signed_up(client, app, owner_url)
    await subscribed(client, fake_stripe, owner_url, stranger)
    requests_before = len(fake_stripe.requests)

    response = await invoices(client, stranger, limit=1, cursor=cursor)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_cursor"
    assert len(fake_stripe.requests) == requests_before  # the foreign id never reached Stripe
    # A colleague admin of the owner's company may use it.
    other_admin = await second_admin(client, owner_url, owner["email"])
    assert (await invoices(client, other_admin, limit=1, cursor=cursor)).status_code == 200
    # The stranger sees its own invoice only.
    [own] = (await invoices(client, stranger)).json()["items"]
    assert fake_stripe.invoices[own["id"]]["customer"] == stripe_customer_of(
        owner_url, company_of(owner_url, stranger["email"]))


async def test_stripe_failing_on_invoices_is_a_503(client, app, owner_url, fake_stripe):
    tokens = await signed_up(client, app, owner_url)
    await subscribed(client, fake_stripe, owner_url, tokens)
    fake_stripe.fail_next(1, None)
    assert_billing_unavailable(await invoices(client, tokens))
    assert (await invoices(client, tokens)).status_code == 200


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")
