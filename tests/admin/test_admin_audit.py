"""The admins' and operators' actions are in the audit log, each as one entry naming who did it
to whom, in the action's own transaction (issue 12): role changes, disabling and enabling,
invitations, quotas, company settings, exports and erasures. Never a personal detail of the
target in ``details`` (an entry outlives an erasure)."""

from __future__ import annotations

import uuid

import psycopg

from tests.admin.helpers import company, operator, user_row
from tests.auth.helpers import bearer, client_at, unique_email

IP = "198.51.100.23"
FIELDS = "action, actor_id, company_id, target_type, target_id, ip, details"


async def _entries(owner_conn: psycopg.AsyncConnection, action: str) -> list[dict]:
    cursor = await owner_conn.execute(
        f"SELECT {FIELDS} FROM audit_logs WHERE action = %s ORDER BY created_at, id", (action,)
    )
    names = [column.name for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]


def _entry(action, actor: dict, company_id: str, target: tuple[str, str], details=None) -> dict:
    return {"action": action, "actor_id": uuid.UUID(actor["id"]),
            "company_id": uuid.UUID(company_id), "target_type": target[0],
            "target_id": target[1], "ip": IP, "details": details or {}}


async def test_role_changes_and_disabling_are_recorded_once_each(app, client, owner_url,
                                                                  owner_conn):
    a = await company(client, app, owner_url)
    admin, rep = user_row(owner_url, a.admin["email"]), user_row(owner_url, a.rep["email"])
    target = ("user", rep["id"])
    async with client_at(app, IP) as at:
        for body in ({"role": "admin"}, {"role": "admin"}, {"disabled": True},
                     {"disabled": True}, {"disabled": False}, {"role": "user"}):
            response = await at.patch(f"/api/admin/users/{rep['id']}", headers=bearer(a.admin),
                                      json=body)
            assert response.status_code == 200, response.text
    # a PATCH that repeats the current state changes nothing and records nothing
    assert await _entries(owner_conn, "user.role_changed") == [
        _entry("user.role_changed", admin, a.id, target, {"from": "user", "to": "admin"}),
        _entry("user.role_changed", admin, a.id, target, {"from": "admin", "to": "user"}),
    ]
    assert await _entries(owner_conn, "user.disabled") == [
        _entry("user.disabled", admin, a.id, target)]
    assert await _entries(owner_conn, "user.enabled") == [
        _entry("user.enabled", admin, a.id, target)]


async def test_a_refused_change_records_nothing(app, client, owner_url, owner_conn):
    a = await company(client, app, owner_url)
    admin = user_row(owner_url, a.admin["email"])
    refused = await client.patch(f"/api/admin/users/{admin['id']}", headers=bearer(a.admin),
                                 json={"role": "user"})
    assert refused.status_code == 409
    assert await _entries(owner_conn, "user.role_changed") == []


async def test_invitations_record_the_role_never_the_address(app, client, owner_url,
                                                             owner_conn):
    a = await company(client, app, owner_url)
    email = unique_email("invitee")
    async with client_at(app, IP) as at:
        invited = await at.post("/api/admin/invitations", headers=bearer(a.admin),
                                json={"email": email, "role": "admin"})
    assert invited.status_code == 201, invited.text
    entries = await _entries(owner_conn, "invitation.created")
    admin = user_row(owner_url, a.admin["email"])
    assert entries == [_entry("invitation.created", admin, a.id,
                              ("invitation", invited.json()["id"]), {"role": "admin"})]
    assert email not in str(entries)


async def test_quota_changes_are_recorded_for_companies_and_users(
    app, client, owner_url, owner_conn, monkeypatch, tmp_path
):
    a = await company(client, app, owner_url)
    op = await operator(client, owner_url, monkeypatch, tmp_path)
    op_row = (await client.get("/api/users/me", headers=bearer(op))).json()
    rep = user_row(owner_url, a.rep["email"])
    async with client_at(app, IP) as at:
        total = await at.post("/api/admin/quotas", headers=bearer(op),
                              json={"company_id": a.id, "total_minutes": 500})
        cap = await at.post("/api/admin/quotas", headers=bearer(a.admin),
                            json={"user_id": rep["id"], "total_minutes": 60})
        too_high = await at.post("/api/admin/quotas", headers=bearer(a.admin),
                                 json={"user_id": rep["id"], "total_minutes": 501})
    assert (total.status_code, cap.status_code, too_high.status_code) == (200, 200, 422)
    assert await _entries(owner_conn, "quota.changed") == [
        _entry("quota.changed", op_row, a.id, ("company", a.id), {"total_minutes": 500}),
        _entry("quota.changed", user_row(owner_url, a.admin["email"]), a.id, ("user", rep["id"]),
               {"total_minutes": 60}),
    ]


async def test_company_settings_changes_are_recorded(app, client, owner_url, owner_conn):
    a = await company(client, app, owner_url)
    async with client_at(app, IP) as at:
        changed = await at.patch("/api/admin/company", headers=bearer(a.admin),
                                 json={"retention_days": 30})
        unchanged = await at.patch("/api/admin/company", headers=bearer(a.admin), json={})
    assert (changed.status_code, unchanged.status_code) == (200, 200)
    admin = user_row(owner_url, a.admin["email"])
    assert await _entries(owner_conn, "company.settings_changed") == [
        _entry("company.settings_changed", admin, a.id, ("company", a.id),
               {"retention_days": 30})]


async def test_an_admins_erasure_of_a_user_names_the_admin(app, client, owner_url, owner_conn):
    a = await company(client, app, owner_url)
    admin, rep = user_row(owner_url, a.admin["email"]), user_row(owner_url, a.rep["email"])
    async with client_at(app, IP) as at:
        gone = await at.delete(f"/api/admin/users/{rep['id']}", headers=bearer(a.admin))
    assert gone.status_code == 204
    # the erased user's id is gone from the entry; who erased them stays
    [entry] = await _entries(owner_conn, "user.deleted")
    assert (entry["actor_id"], entry["company_id"], entry["target_type"], entry["target_id"]) == (
        uuid.UUID(admin["id"]), uuid.UUID(a.id), "user", None)


async def test_an_operators_erasure_of_a_company_is_recorded(
    app, client, owner_url, owner_conn, monkeypatch, tmp_path
):
    a = await company(client, app, owner_url)
    op = await operator(client, owner_url, monkeypatch, tmp_path)
    op_row = (await client.get("/api/users/me", headers=bearer(op))).json()
    async with client_at(app, IP) as at:
        gone = await at.delete(f"/api/admin/companies/{a.id}", headers=bearer(op))
    assert gone.status_code == 204
    assert await _entries(owner_conn, "company.deleted") == [
        _entry("company.deleted", op_row, a.id, ("company", a.id), {"members": 2})]
    erased = await _entries(owner_conn, "user.deleted")
    assert [e["actor_id"] for e in erased] == [uuid.UUID(op_row["id"])] * 2


async def test_admin_actions_show_in_the_admins_audit_log(app, client, owner_url):
    a = await company(client, app, owner_url)
    rep = user_row(owner_url, a.rep["email"])
    await client.patch(f"/api/admin/users/{rep['id']}", headers=bearer(a.admin),
                       json={"disabled": True})
    page = await client.get("/api/admin/audit-logs", headers=bearer(a.admin),
                            params={"action": "user.disabled"})
    assert page.status_code == 200, page.text
    [item] = page.json()["items"]
    assert (item["target_type"], item["target_id"], item["company_id"]) == (
        "user", rep["id"], a.id)
