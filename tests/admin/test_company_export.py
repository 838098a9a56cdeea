"""GET /api/admin/export: a company admin downloads every member's data (GDPR), each member as
their own export shows them; nobody else's; reps and operators are refused."""

from __future__ import annotations

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator, user_row
from tests.auth.helpers import bearer
from tests.practice.helpers import finished_text_call


async def test_an_admin_exports_every_member_with_their_calls(app, client, owner_url,
                                                              owner_conn):
    a = await company(client, app, owner_url, "exporter")
    b = await company(client, app, owner_url, "other")
    call = await finished_text_call(client, app, a.rep,
                                    "How many reps do you onboard each quarter?")
    other_call = await finished_text_call(client, app, b.rep, "Zebra-striped secret of company B")

    response = await client.get("/api/admin/export", headers=bearer(a.admin))
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    body = response.json()
    assert body["company"]["id"] == a.id
    by_email = {member["profile"]["email"]: member for member in body["users"]}
    assert set(by_email) == {a.admin["email"], a.rep["email"]}
    rep = by_email[a.rep["email"]]
    assert [s["id"] for s in rep["sessions"]] == [call]
    assert "How many reps do you onboard" in rep["transcripts"][0]["transcript_text"]
    assert [f["session_id"] for f in rep["feedback"]] == [call]
    assert [u["session_id"] for u in rep["usage"]] == [call]
    assert rep["consents"] == []  # the rep never answered a consent question
    assert other_call not in response.text and "Zebra-striped" not in response.text
    assert "password" not in response.text and "token_hash" not in response.text
    # one entry for the admin's export, none as if each member had exported their own
    cursor = await owner_conn.execute(
        "SELECT action, actor_id::text, details FROM audit_logs"
        " WHERE action IN ('company.data_exported', 'user.data_exported')")
    admin_id = user_row(owner_url, a.admin["email"])["id"]
    assert await cursor.fetchall() == [("company.data_exported", admin_id, {"members": 2})]


async def test_reps_and_operators_may_not_export_a_company(
    app, client, owner_url, monkeypatch, tmp_path
):
    a = await company(client, app, owner_url)
    op = await operator(client, owner_url, monkeypatch, tmp_path)
    for tokens in (a.rep, op):
        refused = await client.get("/api/admin/export", headers=bearer(tokens))
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "forbidden"
    assert (await client.get("/api/admin/export")).status_code == 401


async def test_a_disabled_member_is_exported_too(app, client, owner_url):
    a = await company(client, app, owner_url)
    rep = user_row(owner_url, a.rep["email"])
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE users SET disabled_at = now() WHERE id = %s", (rep["id"],))
    body = (await client.get("/api/admin/export", headers=bearer(a.admin))).json()
    assert {m["profile"]["id"] for m in body["users"]} == {
        rep["id"], user_row(owner_url, a.admin["email"])["id"]}
