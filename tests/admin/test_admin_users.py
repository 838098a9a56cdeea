"""GET /api/admin/users: an admin lists their own company's accounts only; an operator any
company's; a rep nobody's. Never a password hash or an API key."""

from __future__ import annotations

import uuid

from tests.admin.helpers import company, operator, user_row
from tests.auth.helpers import bearer, invited_member

FIELDS = {"id", "email", "name", "role", "company_id", "email_verified", "disabled", "created_at"}


async def test_an_admin_lists_their_company_and_nobody_elses(client, app, owner_url):
    a = await company(client, app, owner_url, "a")
    await company(client, app, owner_url, "b")
    response = await client.get("/api/admin/users", headers=bearer(a.admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [u["email"] for u in body["items"]] == [a.admin["email"], a.rep["email"]]
    assert body["next_cursor"] is None
    assert all(set(u) == FIELDS for u in body["items"])
    assert {u["company_id"] for u in body["items"]} == {a.id}
    assert [u["role"] for u in body["items"]] == ["admin", "user"]
    assert body["items"][0]["email_verified"] is True and body["items"][0]["disabled"] is False


async def test_the_list_holds_no_secret(client, app, owner_url):
    a = await company(client, app, owner_url)
    stored = await client.put("/api/users/me", headers=bearer(a.admin),
                              json={"api_keys": {"openai": "sk-test-secret-1234"}})
    assert stored.status_code == 200, stored.text
    text = (await client.get("/api/admin/users", headers=bearer(a.admin))).text
    assert "sk-test-secret" not in text and "hashed_password" not in text and "$2b$" not in text
    assert "api_keys" not in text


async def test_another_companys_id_is_not_found_for_an_admin(client, app, owner_url):
    a = await company(client, app, owner_url, "a")
    b = await company(client, app, owner_url, "b")
    for company_id in (b.id, str(uuid.uuid4())):
        response = await client.get("/api/admin/users", headers=bearer(a.admin),
                                    params={"company_id": company_id})
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    own = await client.get("/api/admin/users", headers=bearer(a.admin),
                           params={"company_id": a.id})
    assert len(own.json()["items"]) == 2


async def test_a_rep_is_refused(client, app, owner_url):
    a = await company(client, app, owner_url)
    response = await client.get("/api/admin/users", headers=bearer(a.rep))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_no_token_is_unauthorized(client):
    response = await client.get("/api/admin/users")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_role_filters(client, app, owner_url):
    a = await company(client, app, owner_url)
    response = await client.get("/api/admin/users", headers=bearer(a.admin),
                                params={"role": "user"})
    assert [u["email"] for u in response.json()["items"]] == [a.rep["email"]]


async def test_pages_follow_the_cursor_without_gaps_or_repeats(client, app, owner_url):
    a = await company(client, app, owner_url)
    for _ in range(3):
        await invited_member(client, owner_url, a.admin["email"], voice_consent=False)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/admin/users", headers=bearer(a.admin),
                                 params=params)).json()
        assert len(body["items"]) <= 2
        seen += [u["id"] for u in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == 5 and len(set(seen)) == 5
    assert user_row(owner_url, a.admin["email"])["id"] == seen[0]


async def test_bad_queries_are_422(client, app, owner_url):
    a = await company(client, app, owner_url)
    for params in ({"limit": 0}, {"limit": 101}, {"role": "owner"}, {"company_id": "nope"},
                   {"cursor": "not-a-cursor"}):
        response = await client.get("/api/admin/users", headers=bearer(a.admin), params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["error"]["code"] in ("validation_error", "invalid_cursor")


async def test_an_operator_sees_every_company_or_one(
    client, app, owner_url, monkeypatch, tmp_path
):
    a = await company(client, app, owner_url, "a")
    b = await company(client, app, owner_url, "b")
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    everyone = (await client.get("/api/admin/users", headers=bearer(ops),
                                 params={"limit": 100})).json()["items"]
    emails = {u["email"] for u in everyone}
    assert {a.admin["email"], a.rep["email"], b.admin["email"], b.rep["email"]} <= emails
    only_b = (await client.get("/api/admin/users", headers=bearer(ops),
                               params={"company_id": b.id, "role": "admin"})).json()["items"]
    assert [u["email"] for u in only_b] == [b.admin["email"]]
    unknown = await client.get("/api/admin/users", headers=bearer(ops),
                               params={"company_id": str(uuid.uuid4())})
    assert unknown.status_code == 404
