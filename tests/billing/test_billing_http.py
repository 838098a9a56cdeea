"""The billing endpoints that need no Stripe: the catalogue, the subscription overview, who may
buy, input refused before anything is asked of Stripe, and billing switched off (no key: 503
`billing_not_configured`, and practice goes on with the trial). The purchases against the fake
Stripe are in test_billing_purchases.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pitchlab.config import DEFAULT_PLANS, DEFAULT_TOP_UP_PACKS
from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer, signed_in_operator, signed_up
from tests.practice.helpers import start
from tests.practice.test_mid_call import colleague

# Every endpoint only a company admin may call: (method, path, body).
ADMIN_ONLY = [
    ("POST", "/api/subscriptions/subscribe", {"plan_id": "starter"}),
    ("POST", "/api/billing/portal", None),
    ("GET", "/api/billing/invoices", None),
    ("POST", "/api/billing/top-ups", {"pack_id": "minutes-100"}),
]


async def call(client, tokens: dict | None, method: str, path: str, body: dict | None = None):
    headers = bearer(tokens) if tokens else {}
    return await client.request(method, path, headers=headers, json=body)


def company_of(owner_url, email: str) -> uuid.UUID:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT company_id FROM users WHERE email = %s", (email,)).fetchone()[0]


def stripe_customer_of(owner_url, company_id: uuid.UUID) -> str | None:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT stripe_customer_id FROM companies WHERE id = %s",
                            (company_id,)).fetchone()[0]


def add_subscription(owner_url, company_id: uuid.UUID, *, stripe_id: str | None = None,
                     plan_id: str = "starter", status: str = "active",
                     created_at: datetime | None = None, price_id: str | None = None) -> str:
    """A mirror row, as Stripe's webhooks leave one; the Stripe subscription id."""
    stripe_id = stripe_id or f"sub_{uuid.uuid4().hex[:14]}"
    start_at = datetime.now(UTC).replace(microsecond=0)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO subscriptions (company_id, stripe_subscription_id, plan_id, status,"
            " current_period_start, current_period_end, stripe_price_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (company_id, stripe_id, plan_id, status, start_at, start_at + timedelta(days=30),
             price_id, created_at or datetime.now(UTC)),
        )
    return stripe_id


# --- the catalogue ---------------------------------------------------------------------------


async def test_the_plans_are_public_and_are_the_settings(client):
    response = await client.get("/api/plans")
    assert response.status_code == 200
    assert response.json() == {"items": [
        {"id": p.id, "name": p.name, "minutes_per_period": p.minutes_per_period,
         "price_cents": p.price_cents, "currency": p.currency, "interval": p.interval}
        for p in DEFAULT_PLANS
    ]}


async def test_the_top_up_packs_are_public_and_are_the_settings(client):
    response = await client.get("/api/billing/top-ups")
    assert response.status_code == 200
    assert response.json() == {"items": [
        {"id": p.id, "minutes": p.minutes, "price_cents": p.price_cents, "currency": p.currency}
        for p in DEFAULT_TOP_UP_PACKS
    ]}


# --- the overview ----------------------------------------------------------------------------


async def test_a_new_company_has_its_trial_its_minutes_and_no_subscription(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    me = (await client.get("/api/users/me", headers=bearer(tokens))).json()
    await start(client, tokens, mode="text")  # charges the first minute
    response = await client.get("/api/subscriptions", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subscription"] is None
    assert body["trial_expires_at"] == me["company"]["trial_expires_at"]
    usage = body["usage"]
    assert usage["total_minutes"] == 60
    assert (usage["used_minutes"], usage["remaining_minutes"]) == (1, 59)


async def test_every_member_sees_the_latest_subscription_and_never_another_companys(
    client, app, owner_url
):
    admin = await signed_up(client, app, owner_url)
    rep = await colleague(client, owner_url, admin["email"])
    company = company_of(owner_url, admin["email"])
    long_ago = datetime.now(UTC) - timedelta(days=90)
    add_subscription(owner_url, company, plan_id="team", status="canceled", created_at=long_ago)
    add_subscription(owner_url, company, plan_id="scale", status="past_due")
    other = await signed_up(client, app, owner_url)
    add_subscription(owner_url, company_of(owner_url, other["email"]), plan_id="team")

    for tokens in (admin, rep):
        body = (await client.get("/api/subscriptions", headers=bearer(tokens))).json()
        subscription = body["subscription"]
        assert (subscription["plan_id"], subscription["status"]) == ("scale", "past_due")
        assert subscription["cancel_at_period_end"] is False
        assert set(subscription) >= {"id", "plan_id", "status", "current_period_start",
                                     "current_period_end"}
    stranger = await signed_up(client, app, owner_url)
    body = (await client.get("/api/subscriptions", headers=bearer(stranger))).json()
    assert body["subscription"] is None


async def test_an_operator_belongs_to_no_company_so_has_no_subscription(
    client, owner_url, monkeypatch, tmp_path
):
    login = await signed_in_operator(client, owner_url, monkeypatch, tmp_path)
    response = await client.get("/api/subscriptions", headers=bearer(login.json()))
    assert response.status_code == 200
    assert response.json() == {
        "subscription": None, "trial_expires_at": None,
        "usage": {"total_minutes": 0, "used_minutes": 0, "remaining_minutes": 0,
                  "period_start": None},
    }


async def test_the_overview_needs_a_sign_in(client):
    response = await client.get("/api/subscriptions")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


# --- who may buy -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_a_rep_may_not_manage_billing(client, app, owner_url, method, path, body):
    admin = await signed_up(client, app, owner_url)
    rep = await colleague(client, owner_url, admin["email"])
    response = await call(client, rep, method, path, body)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_an_operator_may_not_manage_a_companys_billing(
    client, owner_url, monkeypatch, tmp_path, method, path, body
):
    login = await signed_in_operator(client, owner_url, monkeypatch, tmp_path)
    response = await call(client, login.json(), method, path, body)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_billing_needs_a_sign_in(client, method, path, body):
    response = await call(client, None, method, path, body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


# --- input refused before Stripe is asked ----------------------------------------------------


@pytest.mark.parametrize(("path", "body", "code"), [
    ("/api/subscriptions/subscribe", {"plan_id": "platinum"}, "unknown_plan"),
    ("/api/subscriptions/subscribe", {"plan_id": "starter", "price_cents": 1}, "validation_error"),
    ("/api/subscriptions/subscribe", {}, "validation_error"),
    ("/api/subscriptions/subscribe", {"plan_id": 7}, "validation_error"),
    ("/api/billing/top-ups", {"pack_id": "minutes-1000000"}, "unknown_top_up_pack"),
    ("/api/billing/top-ups", {"pack_id": "minutes-100", "minutes": 10**6}, "validation_error"),
])
async def test_bad_input_is_a_422(client, app, owner_url, path, body, code):
    tokens = await signed_up(client, app, owner_url)
    response = await client.post(path, headers=bearer(tokens), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(("params", "code"), [
    ({"limit": 0}, "validation_error"),
    ({"limit": 101}, "validation_error"),
    ({"cursor": "in_123"}, "invalid_cursor"),
    ({"cursor": "!!not base64!!"}, "invalid_cursor"),
])
async def test_a_bad_invoice_page_is_a_422(client, app, owner_url, params, code):
    tokens = await signed_up(client, app, owner_url)
    response = await client.get("/api/billing/invoices", headers=bearer(tokens), params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code


# --- billing off -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_without_a_stripe_key_billing_is_503_and_practice_goes_on(
    client, app, owner_url, method, path, body
):
    tokens = await signed_up(client, app, owner_url)
    response = await call(client, tokens, method, path, body)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "billing_not_configured"
    assert response.headers["retry-after"] == "3600"  # every 503 says when to look again
    assert stripe_customer_of(owner_url, company_of(owner_url, tokens["email"])) is None
    session = await start(client, tokens, mode="text")
    assert session["status"] == "in_progress"
