"""DELETE /api/admin/users/{id}: an admin erases an account of their own company (an operator of
any company) as the account's owner would; another company's is 404 and untouched; the last
active admin stays."""

from __future__ import annotations

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator, user_row
from tests.auth.helpers import PASSWORD, bearer, invited_member
from tests.practice.helpers import start


async def delete(client, tokens, user_id: str):
    return await client.delete(f"/api/admin/users/{user_id}", headers=bearer(tokens))


def accounts_named(owner_url, email: str) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                            (email,)).fetchone()[0]


def company_used_minutes(owner_url, company_id: str) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT used_minutes FROM minute_quotas WHERE company_id = %s"
                            " AND user_id IS NULL", (company_id,)).fetchone()[0]


async def test_an_admin_erases_a_rep_mid_call_and_the_minutes_stay(client, app, owner_url):
    acme = await company(client, app, owner_url)
    rep = await invited_member(client, owner_url, acme.admin["email"])
    live = await start(client, rep, mode="text")
    rep_id = user_row(owner_url, rep["email"])["id"]

    gone = await delete(client, acme.admin, rep_id)
    assert gone.status_code == 204, gone.text
    assert accounts_named(owner_url, rep["email"]) == 0
    assert (await client.get("/api/users/me", headers=bearer(rep))).status_code == 401
    login = await client.post("/api/auth/login", json={"email": rep["email"],
                                                      "password": PASSWORD})
    assert login.status_code == 401
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        usage = conn.execute("SELECT user_id FROM usage_records WHERE session_id IS NULL"
                             " AND company_id = %s", (acme.id,)).fetchall()
    assert usage == [(None,)], live  # the ended call's usage row stays, without the person
    listed = await client.get("/api/admin/users", headers=bearer(acme.admin))
    assert rep["email"] not in listed.text
    assert (await delete(client, acme.admin, rep_id)).status_code == 404  # gone already


async def test_another_companys_account_is_404_and_untouched(client, app, owner_url):
    acme, globex = await company(client, app, owner_url), await company(client, app, owner_url)
    globex_rep = user_row(owner_url, globex.rep["email"])["id"]
    refused = await delete(client, acme.admin, globex_rep)
    assert refused.status_code == 404, refused.text
    assert accounts_named(owner_url, globex.rep["email"]) == 1
    assert (await client.get("/api/users/me", headers=bearer(globex.rep))).status_code == 200


async def test_a_rep_may_not_erase_anyone(client, app, owner_url):
    acme = await company(client, app, owner_url)
    admin_id = user_row(owner_url, acme.admin["email"])["id"]
    assert (await delete(client, acme.rep, admin_id)).status_code == 403
    assert accounts_named(owner_url, acme.admin["email"]) == 1


async def test_the_last_active_admin_is_not_erased_here(client, app, owner_url):
    acme = await company(client, app, owner_url)
    admin_id = user_row(owner_url, acme.admin["email"])["id"]
    refused = await delete(client, acme.admin, admin_id)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "last_admin")
    other = await invited_member(client, owner_url, acme.admin["email"], "admin",
                                 voice_consent=False)
    assert (await delete(client, other, admin_id)).status_code == 204
    assert accounts_named(owner_url, acme.admin["email"]) == 0


async def test_an_operator_erases_an_account_of_any_company(
    client, app, owner_url, monkeypatch, tmp_path
):
    acme = await company(client, app, owner_url)
    operator_tokens = await operator(client, owner_url, monkeypatch, tmp_path)
    used = company_used_minutes(owner_url, acme.id)
    rep_id = user_row(owner_url, acme.rep["email"])["id"]
    assert (await delete(client, operator_tokens, rep_id)).status_code == 204
    assert accounts_named(owner_url, acme.rep["email"]) == 0
    assert company_used_minutes(owner_url, acme.id) == used
