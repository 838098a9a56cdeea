"""DELETE /api/admin/companies/{id}: an operator erases a company and everything of it; nothing
of another company moves; admins and reps are refused; an unknown company is 404."""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator
from tests.auth.helpers import bearer
from tests.conftest import TENANT_TABLES
from tests.practice.helpers import start


def rows_of(owner_url, company_id: str) -> dict[str, int]:
    counts = {}
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        for table in TENANT_TABLES:
            column = "id" if table == "companies" else "company_id"
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
                sql.Identifier(table), sql.Identifier(column))
            counts[table] = conn.execute(query, (company_id,)).fetchone()[0]
    return counts


async def test_an_operator_erases_a_company_and_everything_of_it(
    client, app, owner_url, monkeypatch, tmp_path
):
    acme, globex = await company(client, app, owner_url), await company(client, app, owner_url)
    await client.post("/api/users/me/consents", headers=bearer(acme.admin), json={
        "kind": "voice_recording", "granted": True, "version": "v1"})
    await start(client, acme.admin, mode="text")  # a call in progress
    operator_tokens = await operator(client, owner_url, monkeypatch, tmp_path)
    globex_before = rows_of(owner_url, globex.id)

    gone = await client.delete(f"/api/admin/companies/{acme.id}", headers=bearer(operator_tokens))
    assert gone.status_code == 204, gone.text
    assert set(rows_of(owner_url, acme.id).values()) == {0}
    assert rows_of(owner_url, globex.id) == globex_before
    for tokens in (acme.admin, acme.rep):
        assert (await client.get("/api/users/me", headers=bearer(tokens))).status_code == 401
    again = await client.delete(f"/api/admin/companies/{acme.id}", headers=bearer(operator_tokens))
    assert again.status_code == 404


async def test_admins_and_reps_may_not_erase_companies(client, app, owner_url):
    acme = await company(client, app, owner_url)
    before = rows_of(owner_url, acme.id)
    for tokens in (acme.admin, acme.rep):
        refused = await client.delete(f"/api/admin/companies/{acme.id}", headers=bearer(tokens))
        assert refused.status_code == 403, refused.text
    assert rows_of(owner_url, acme.id) == before


async def test_an_unknown_company_is_404(client, app, owner_url, monkeypatch, tmp_path):
    operator_tokens = await operator(client, owner_url, monkeypatch, tmp_path)
    missing = await client.delete(f"/api/admin/companies/{uuid.uuid4()}",
                                  headers=bearer(operator_tokens))
    assert missing.status_code == 404
