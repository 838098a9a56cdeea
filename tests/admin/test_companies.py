"""GET /api/admin/companies: operators only; each company with its latest subscription, its
minutes and its head count, keyset-paginated."""

from __future__ import annotations

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator
from tests.auth.helpers import bearer

FIELDS = {"id", "name", "trial_expires_at", "subscription_status", "plan_id", "total_minutes",
          "used_minutes", "user_count"}


def subscribe(owner_url, company_id: str, plan_id: str, status: str, stripe_id: str) -> None:
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO subscriptions (company_id, stripe_subscription_id, plan_id, status)"
            " VALUES (%s, %s, %s, %s)", (company_id, stripe_id, plan_id, status))
        conn.execute(
            "UPDATE minute_quotas SET total_minutes = 300, used_minutes = 42"
            " WHERE company_id = %s AND user_id IS NULL", (company_id,))


async def test_an_operator_sees_every_company_with_its_standing(
    client, app, owner_url, monkeypatch, tmp_path
):
    a = await company(client, app, owner_url, "a")
    b = await company(client, app, owner_url, "b")
    subscribe(owner_url, b.id, "old", "canceled", "sub_old")
    subscribe(owner_url, b.id, "team", "active", "sub_new")
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    response = await client.get("/api/admin/companies", headers=bearer(ops))
    assert response.status_code == 200, response.text
    body = response.json()
    by_id = {c["id"]: c for c in body["items"]}
    assert set(by_id) == {a.id, b.id} and body["next_cursor"] is None
    assert all(set(c) == FIELDS for c in body["items"])
    trial = by_id[a.id]
    assert (trial["subscription_status"], trial["plan_id"], trial["user_count"]) == (None, None, 2)
    assert trial["trial_expires_at"] is not None and trial["used_minutes"] == 0
    assert trial["total_minutes"] > 0
    paying = by_id[b.id]
    assert (paying["subscription_status"], paying["plan_id"]) == ("active", "team")
    assert (paying["total_minutes"], paying["used_minutes"], paying["user_count"]) == (300, 42, 2)


async def test_pages_follow_the_cursor(client, app, owner_url, monkeypatch, tmp_path):
    made = [(await company(client, app, owner_url, f"c{i}")).id for i in range(3)]
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    first = (await client.get("/api/admin/companies", headers=bearer(ops),
                              params={"limit": 2})).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (await client.get("/api/admin/companies", headers=bearer(ops),
                               params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert second["next_cursor"] is None
    assert [c["id"] for c in first["items"] + second["items"]] == made
    bad = await client.get("/api/admin/companies", headers=bearer(ops),
                           params={"cursor": "garbage"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
    too_many = await client.get("/api/admin/companies", headers=bearer(ops),
                                params={"limit": 101})
    assert too_many.status_code == 422


async def test_admins_and_reps_are_refused(client, app, owner_url):
    a = await company(client, app, owner_url)
    for tokens in (a.admin, a.rep):
        response = await client.get("/api/admin/companies", headers=bearer(tokens))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
