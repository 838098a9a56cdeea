"""PATCH /api/admin/users/{id}: an admin changes their own company's accounts (role, disabled),
an operator any company's; disabling ends the account's tokens and live call at once; the
company keeps at least one active admin."""

from __future__ import annotations

import asyncio
import uuid

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator, user_row
from tests.auth.helpers import PASSWORD, bearer, invited_member
from tests.practice.helpers import closed_with, eventually, opened, start


async def patch(client, tokens, user_id: str, **body):
    return await client.patch(f"/api/admin/users/{user_id}", headers=bearer(tokens), json=body)


async def test_disabling_ends_the_users_tokens_at_once(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep = user_row(owner_url, a.rep["email"])
    assert (await client.get("/api/users/me", headers=bearer(a.rep))).status_code == 200
    response = await patch(client, a.admin, rep["id"], disabled=True)
    assert response.status_code == 200, response.text
    assert response.json()["disabled"] is True and response.json()["id"] == rep["id"]
    assert (await client.get("/api/users/me", headers=bearer(a.rep))).status_code == 401
    refreshed = await client.post("/api/auth/refresh",
                                  json={"refresh_token": a.rep["refresh_token"]})
    assert refreshed.status_code == 401
    login = await client.post("/api/auth/login",
                              json={"email": a.rep["email"], "password": PASSWORD})
    assert login.status_code == 403 and login.json()["error"]["code"] == "account_disabled"
    enabled = await patch(client, a.admin, rep["id"], disabled=False)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    login = await client.post("/api/auth/login",
                              json={"email": a.rep["email"], "password": PASSWORD})
    assert login.status_code == 200


async def test_disabling_ends_the_users_live_call(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep = await invited_member(client, owner_url, a.admin["email"])
    call = await start(client, rep, mode="text")
    response = await patch(client, a.admin, user_row(owner_url, rep["email"])["id"],
                           disabled=True)
    assert response.status_code == 200, response.text
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        status, reason, ended_at = conn.execute(
            "SELECT status, end_reason, ended_at FROM sessions WHERE id = %s",
            (call["id"],),
        ).fetchone()
    assert (status, reason) == ("cancelled", "ended_by_admin") and ended_at is not None


async def test_an_admin_promotes_and_demotes(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep = user_row(owner_url, a.rep["email"])
    promoted = await patch(client, a.admin, rep["id"], role="admin")
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    assert user_row(owner_url, a.rep["email"])["role"] == "admin"
    # the old token spoke for a "user": it ends with the role
    assert (await client.get("/api/users/me", headers=bearer(a.rep))).status_code == 401
    demoted = await patch(client, a.admin, rep["id"], role="user")
    assert demoted.status_code == 200 and demoted.json()["role"] == "user"


async def test_the_last_active_admin_stays(client, app, owner_url):
    a = await company(client, app, owner_url)
    me = user_row(owner_url, a.admin["email"])
    for body in ({"role": "user"}, {"disabled": True}):
        response = await patch(client, a.admin, me["id"], **body)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "last_admin"
    assert user_row(owner_url, a.admin["email"]) == me
    rep = user_row(owner_url, a.rep["email"])
    assert (await patch(client, a.admin, rep["id"], role="admin")).status_code == 200
    stepped_down = await patch(client, a.admin, me["id"], role="user")
    assert stepped_down.status_code == 200 and stepped_down.json()["role"] == "user"


async def test_another_companys_user_is_not_found_and_unchanged(client, app, owner_url):
    a = await company(client, app, owner_url, "a")
    b = await company(client, app, owner_url, "b")
    for email in (b.rep["email"], b.admin["email"]):
        before = user_row(owner_url, email)
        for body in ({"disabled": True}, {"role": "admin"}):
            response = await patch(client, a.admin, before["id"], **body)
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "not_found"
        assert user_row(owner_url, email) == before
    unknown = await patch(client, a.admin, str(uuid.uuid4()), disabled=True)
    assert unknown.status_code == 404


async def test_a_rep_is_refused(client, app, owner_url):
    a = await company(client, app, owner_url)
    admin = user_row(owner_url, a.admin["email"])
    response = await patch(client, a.rep, admin["id"], disabled=True)
    assert response.status_code == 403
    assert user_row(owner_url, a.admin["email"]) == admin


async def test_bad_bodies_are_422_and_change_nothing(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep = user_row(owner_url, a.rep["email"])
    for body in ({"role": "super_admin"}, {"role": "owner"}, {"disabled": "yes"},
                 {"company_id": str(uuid.uuid4())}, {"email": "x@example.com"}):
        response = await patch(client, a.admin, rep["id"], **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    not_an_id = await patch(client, a.admin, "not-an-id", disabled=True)
    assert not_an_id.status_code == 422
    assert user_row(owner_url, a.rep["email"]) == rep


async def test_an_operator_changes_any_company_but_not_operators(
    client, app, owner_url, monkeypatch, tmp_path
):
    b = await company(client, app, owner_url, "b")
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    rep = user_row(owner_url, b.rep["email"])
    disabled = await patch(client, ops, rep["id"], disabled=True)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert (await client.get("/api/users/me", headers=bearer(b.rep))).status_code == 401
    admin = user_row(owner_url, b.admin["email"])
    last = await patch(client, ops, admin["id"], role="user")
    assert last.status_code == 409
    own = await patch(client, ops, user_row(owner_url, "ops@example.com")["id"], role="admin")
    assert own.status_code == 403
    assert user_row(owner_url, "ops@example.com")["role"] == "super_admin"


async def test_disabling_closes_the_users_live_stream(client, app, owner_url, live_server):
    a = await company(client, app, owner_url)
    rep = await invited_member(client, owner_url, a.admin["email"])
    call = await start(client, rep, mode="voice")
    async with opened(live_server, call) as ws:
        response = await patch(client, a.admin, user_row(owner_url, rep["email"])["id"],
                               disabled=True)
        assert response.status_code == 200, response.text
        assert await closed_with(ws, within=10) == 1000  # the stream ends with the call
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        status, reason = conn.execute("SELECT status, end_reason FROM sessions WHERE id = %s",
                                      (call["id"],)).fetchone()
    assert (status, reason) == ("cancelled", "ended_by_admin")


async def _lock_waiters(owner_conn) -> int:
    cursor = await owner_conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND query ILIKE '%companies%FOR UPDATE%'")
    return (await cursor.fetchone())[0]


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(client, app, owner_url,
                                                                       owner_conn):
    """Both requests are made to wait on the company's row (held here) until both have read
    the company's admins: released, one wins and the other is 409, never both."""
    a = await company(client, app, owner_url)
    other = await invited_member(client, owner_url, a.admin["email"], role="admin")
    me, them = user_row(owner_url, a.admin["email"]), user_row(owner_url, other["email"])
    async with await psycopg.AsyncConnection.connect(libpq_dsn(owner_url)) as holder:
        await holder.execute("SELECT 1 FROM companies WHERE id = %s FOR UPDATE", (a.id,))
        demotions = [asyncio.create_task(patch(client, a.admin, them["id"], role="user")),
                     asyncio.create_task(patch(client, other, me["id"], role="user"))]
        await eventually(lambda: _two(_lock_waiters(owner_conn)), within=10)
        await holder.commit()
    answers = sorted(r.status_code for r in await asyncio.gather(*demotions))
    assert answers == [200, 409]
    roles = [user_row(owner_url, e)["role"] for e in (a.admin["email"], other["email"])]
    assert sorted(roles) == ["admin", "user"]


async def _two(count) -> bool:
    return await count >= 2
