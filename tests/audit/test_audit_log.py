"""The audit log through the public surface: each audited action writes exactly one entry, in
the action's own transaction, never a secret; GET /api/admin/audit-logs shows an admin their
company's entries only, a super_admin everyone's, a user nothing."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from pitchlab.kit.errors import Forbidden
from pitchlab.users import service as users_service
from tests.auth.helpers import (
    PASSWORD,
    bearer,
    client_at,
    drain_jobs,
    invited_member,
    latest_verification_token,
    logged_in,
    register,
    signed_in_operator,
    signed_up,
    unique_email,
)

IP = "203.0.113.7"
LOCAL = "127.0.0.1"  # the address of the tests' default client
FIELDS = "action, actor_id, company_id, target_type, target_id, ip, details"


async def _entries(owner_conn: psycopg.AsyncConnection, **where) -> list[dict]:
    clauses = " AND ".join(f"{name} = %s" for name in where) or "true"
    cursor = await owner_conn.execute(
        f"SELECT {FIELDS} FROM audit_logs WHERE {clauses} ORDER BY created_at, id",
        list(where.values()),
    )
    names = [column.name for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]


async def _me(client, tokens) -> dict:
    return (await client.get("/api/users/me", headers=bearer(tokens))).json()


def _of_user(action: str, me: dict, *, ip: str | None = None, details: dict | None = None):
    user_id = uuid.UUID(me["id"])
    return {"action": action, "actor_id": user_id, "company_id": uuid.UUID(me["company"]["id"]),
            "target_type": "user", "target_id": str(user_id), "ip": ip, "details": details or {}}


# --- each action, one entry ------------------------------------------------------------------

async def test_sign_up_verification_and_login_write_one_entry_each(app, owner_url, owner_conn):
    email = unique_email()
    async with client_at(app, IP) as client:
        assert (await register(client, email)).status_code == 202
        await drain_jobs(app)
        token = latest_verification_token(owner_url, email)
        verified = await client.get("/api/auth/verify-email", params={"token": token})
        assert verified.status_code == 200
        tokens = await logged_in(client, email)
        me = await _me(client, tokens)
    assert await _entries(owner_conn) == [
        _of_user("user.signed_up", me, ip=IP),
        _of_user("user.email_verified", me, ip=IP),
        _of_user("user.logged_in", me, ip=IP),
    ]


async def test_a_joiner_by_invitation_is_recorded_as_signed_up(client, app, owner_url,
                                                               owner_conn):
    admin = await signed_up(client, app, owner_url)
    member = await invited_member(client, owner_url, admin["email"], voice_consent=False)
    me = await _me(client, member)
    assert [e["action"] for e in await _entries(owner_conn, actor_id=uuid.UUID(me["id"]))] == [
        "user.signed_up", "user.logged_in"]


@pytest.mark.parametrize("known_email", [True, False])
async def test_a_failed_login_is_recorded_with_its_address_and_nothing_personal(
    app, client, owner_url, owner_conn, known_email
):
    email = unique_email()
    if known_email:
        await signed_up(client, app, owner_url, email=email)
    before = len(await _entries(owner_conn))
    async with client_at(app, IP) as other:
        refused = await other.post("/api/auth/login",
                                   json={"email": email, "password": "not the password"})
    assert refused.status_code == 401
    entries = await _entries(owner_conn)
    assert len(entries) == before + 1
    assert entries[-1] == {"action": "user.login_failed", "actor_id": None, "company_id": None,
                           "target_type": None, "target_id": None, "ip": IP, "details": {}}
    assert email not in await _whole_table(owner_conn)


async def test_password_and_api_key_changes_are_recorded_never_their_values(
    client, app, owner_url, owner_conn
):
    tokens = await signed_up(client, app, owner_url)
    me = await _me(client, tokens)
    secrets = ["sk-audit-0penai-secret-9f3k", "el-audit-secret-7q2z", "new audit passphrase"]
    keys = await client.put("/api/users/me", headers=bearer(tokens), json={
        "api_keys": {"openai": secrets[0], "elevenlabs": secrets[1]}})
    assert keys.status_code == 200, keys.text
    dropped = await client.put("/api/users/me", headers=bearer(tokens),
                               json={"api_keys": {"elevenlabs": None}})
    assert dropped.status_code == 200
    password = await client.put("/api/users/me", headers=bearer(tokens), json={
        "current_password": PASSWORD, "new_password": secrets[2]})
    assert password.status_code == 200, password.text
    changes = await _entries(owner_conn, actor_id=uuid.UUID(me["id"]))
    assert changes[1:] == [
        _of_user("user.api_key_changed", me, ip=LOCAL,
                 details={"set": ["elevenlabs", "openai"], "deleted": []}),
        _of_user("user.api_key_changed", me, ip=LOCAL,
                 details={"set": [], "deleted": ["elevenlabs"]}),
        _of_user("user.password_changed", me, ip=LOCAL),
    ]
    table = await _whole_table(owner_conn)
    for secret in [*secrets, PASSWORD, tokens["access_token"], tokens["refresh_token"]]:
        assert secret not in table


async def test_a_name_change_alone_is_not_audited(client, app, owner_url, owner_conn):
    tokens = await signed_up(client, app, owner_url)
    before = await _entries(owner_conn)
    renamed = await client.put("/api/users/me", headers=bearer(tokens), json={"name": "Robin"})
    assert renamed.status_code == 200
    assert await _entries(owner_conn) == before


async def test_export_and_consent_are_recorded(client, app, owner_url, owner_conn):
    tokens = await signed_up(client, app, owner_url)
    me = await _me(client, tokens)
    assert (await client.get("/api/users/me/export", headers=bearer(tokens))).status_code == 200
    async with client_at(app, IP) as other:
        consent = await other.post("/api/users/me/consents", headers=bearer(tokens), json={
            "kind": "marketing", "granted": False, "version": "2026-11"})
    assert consent.status_code == 201
    assert (await _entries(owner_conn, actor_id=uuid.UUID(me["id"])))[1:] == [
        _of_user("user.data_exported", me, ip=LOCAL),
        _of_user("consent.recorded", me, ip=IP,
                 details={"kind": "marketing", "granted": False, "version": "2026-11"}),
    ]


async def test_erasure_is_recorded_and_leaves_no_trace_of_the_user(
    client, app, owner_url, owner_conn
):
    admin = await signed_up(client, app, owner_url)
    member = await invited_member(client, owner_url, admin["email"])
    me = await _me(client, member)
    member_id = uuid.UUID(me["id"])
    erased = await client.request("DELETE", "/api/users/me", headers=bearer(member),
                                  json={"password": PASSWORD})
    assert erased.status_code == 204
    assert await _entries(owner_conn, actor_id=member_id) == []
    deletion = await _entries(owner_conn, action="user.deleted")
    assert deletion == [{"action": "user.deleted", "actor_id": None,
                         "company_id": uuid.UUID(me["company"]["id"]), "target_type": "user",
                         "target_id": None, "ip": None, "details": {}}]
    # the member's sign-up, login and consent are still there, anonymised
    table = await _whole_table(owner_conn)
    assert str(member_id) not in table and member["email"] not in table
    kept = [e["action"] for e in await _entries(owner_conn) if e["actor_id"] is None]
    assert kept == ["user.signed_up", "user.logged_in", "consent.recorded", "user.deleted"]


async def test_a_rolled_back_action_writes_no_entry(client, app, owner_url, owner_conn,
                                                    monkeypatch):
    tokens = await signed_up(client, app, owner_url)
    before = await _entries(owner_conn)

    async def refuse_to_save(*_args):  # the action fails after its entry was written
        raise Forbidden()

    monkeypatch.setattr(users_service.repository, "save", refuse_to_save)
    refused = await client.put("/api/users/me", headers=bearer(tokens),
                               json={"api_keys": {"openai": "sk-never-stored-1234"}})
    assert refused.status_code == 403
    assert await _entries(owner_conn) == before


# --- reading ---------------------------------------------------------------------------------

async def _page(client, tokens, **params) -> dict:
    response = await client.get("/api/admin/audit-logs", headers=bearer(tokens), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _every_page(client, tokens, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        page = await _page(client, tokens, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_an_admin_reads_only_their_companys_entries_newest_first(
    client, app, owner_url, owner_conn
):
    a, b = await signed_up(client, app, owner_url), await signed_up(client, app, owner_url)
    for tokens in (a, b):
        for _ in range(2):
            assert (await client.get("/api/users/me/export", headers=bearer(tokens))).is_success
    company_a = (await _me(client, a))["company"]["id"]
    company_b = (await _me(client, b))["company"]["id"]
    # a failed login belongs to no company: no admin sees it
    await client.post("/api/auth/login", json={"email": a["email"], "password": "wrong one!"})
    everything = await _every_page(client, a, limit=1)
    assert [i["action"] for i in everything] == [
        "user.data_exported", "user.data_exported", "user.logged_in"]
    assert {i["company_id"] for i in everything} == {company_a}
    assert set(everything[0]) == {"id", "actor_id", "action", "target_type", "target_id",
                                  "company_id", "ip", "created_at", "details"}
    # asking for another company's entries still answers with one's own
    assert await _every_page(client, a, company_id=company_b) == everything
    # a cursor made from B's newest entry positions the page, and shows nothing of B
    page_b = await _page(client, b, limit=1)
    assert page_b["items"][0]["company_id"] == company_b
    crafted = await _page(client, a, cursor=page_b["next_cursor"])
    assert crafted["items"] and all(i["company_id"] == company_a for i in crafted["items"])


async def test_a_user_may_not_read_the_audit_log(client, app, owner_url):
    admin = await signed_up(client, app, owner_url)
    rep = await invited_member(client, owner_url, admin["email"])
    refused = await client.get("/api/admin/audit-logs", headers=bearer(rep))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert (await client.get("/api/admin/audit-logs")).status_code == 401


async def test_a_super_admin_reads_every_entry_and_filters(
    client, app, owner_url, monkeypatch, tmp_path
):
    a, b = await signed_up(client, app, owner_url), await signed_up(client, app, owner_url)
    await client.post("/api/auth/login", json={"email": a["email"], "password": "wrong one!"})
    operator = (await signed_in_operator(client, owner_url, monkeypatch, tmp_path)).json()
    companies = {(await _me(client, t))["company"]["id"] for t in (a, b)}
    seen = await _every_page(client, operator, limit=100)
    assert {i["company_id"] for i in seen} == companies | {None}
    failed = await _page(client, operator, action="user.login_failed")
    assert [i["company_id"] for i in failed["items"]] == [None]
    company_a = (await _me(client, a))["company"]["id"]
    only_a = await _every_page(client, operator, company_id=company_a)
    assert only_a and {i["company_id"] for i in only_a} == {company_a}
    actor = (await _me(client, b))["id"]
    by_actor = await _every_page(client, operator, actor_id=actor)
    assert by_actor and {i["actor_id"] for i in by_actor} == {actor}


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 101}, {"cursor": "not-a-cursor"}, {"action": "user.hacked"},
    {"company_id": "nope"},
])
async def test_bad_list_parameters_are_422(client, app, owner_url, params):
    admin = await signed_up(client, app, owner_url)
    response = await client.get("/api/admin/audit-logs", headers=bearer(admin), params=params)
    assert response.status_code == 422
    assert "error" in response.json()


async def _whole_table(owner_conn) -> str:
    rows = await (await owner_conn.execute("SELECT audit_logs::text FROM audit_logs")).fetchall()
    return "\n".join(row[0] for row in rows)
