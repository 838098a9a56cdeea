"""Tenant isolation in PostgreSQL itself, tried as the application role against every tenant table.

Rows are set up as the superuser (which bypasses row-level security); every attempt to break
isolation then runs through a plain connection as ``pitchlab_app``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import errors, sql

from tests.conftest import APPEND_ONLY_TABLES, SYSTEM_TABLES, TENANT_TABLES


@dataclass
class Tenant:
    company_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    # table -> id of this company's row in it
    rows: dict[str, uuid.UUID]


# For each table: the columns of a new row for a tenant, and a harmless column to update.
def _row_values(table: str, tenant: Tenant) -> dict[str, object]:
    company, user, session = tenant.company_id, tenant.user_id, tenant.session_id
    new = str(uuid.uuid4())
    return {
        "companies": {"id": company, "name": "Acme"},
        "users": {"company_id": company, "email": f"{new}@example.com", "hashed_password": "x",
                  "role": "user", "name": "Rep"},
        "subscriptions": {"company_id": company, "stripe_subscription_id": f"sub_{new}",
                          "plan_id": "starter", "status": "active"},
        "sessions": {"company_id": company, "user_id": user, "status": "in_progress",
                     "scenario_id": "discovery-busy-vp", "mode": "text"},
        "transcripts": {"company_id": company, "session_id": session, "transcript_text": "hi"},
        "feedback": {"company_id": company, "session_id": session, "metrics": '{"version": 1}',
                     "scored_by": "local", "rubric_version": "test"},
        "usage_records": {"company_id": company, "session_id": session, "user_id": user,
                          "minutes_used": 3},
        "minute_quotas": {"company_id": company, "total_minutes": 60},
        "invitations": {"company_id": company, "email": f"{new}@example.com", "role": "user",
                        "token_hash": new, "expires_at": "2100-01-01T00:00:00Z"},
        "consents": {"company_id": company, "user_id": user, "kind": "terms", "granted": True,
                     "version": "2026-11"},
        "minute_grants": {"company_id": company, "kind": "top_up", "item_id": "minutes-100",
                          "stripe_object_id": f"cs_{new}", "minutes": 100},
        "billing_notices": {"company_id": company, "kind": "minutes_low", "occasion": new},
        "scorecards": {"company_id": company, "name": "Discovery", "methodology": "custom",
                       "version": 1},
        "scorecard_versions": {"company_id": company, "scorecard_id": tenant.rows.get(
            "scorecards", uuid.uuid4()), "version": 1, "criteria": '[{"id": "pain"}]'},
        "scenarios": {"company_id": company, "name": "Gatekeeper", "description": "d",
                      "persona": '{"name": "Dana"}', "company_background": "b",
                      "call_type": "cold_call", "difficulty": "easy", "language": "en",
                      "success_criteria": "a meeting", "first_message": "Hello?"},
        "assignments": {"company_id": company, "scenario_id": "inbound-lead", "user_id": user},
        "recordings": {"company_id": company, "user_id": user, "title": "Call", "kind": "audio",
                       "media_type": "audio/wav", "size_bytes": 44, "storage_key": new,
                       "status": "processing"},
        "recording_usage": {"company_id": company, "month": "2026-11-01", "used_seconds": 60},
    }[table]


UPDATES = {
    "companies": ("name", "Renamed"),
    "users": ("name", "Renamed"),
    "subscriptions": ("status", "canceled"),
    "sessions": ("status", "cancelled"),
    "transcripts": ("transcript_text", "rewritten"),
    "feedback": ("metrics", '{"version": 99}'),
    "usage_records": ("minutes_used", 99),
    "minute_quotas": ("total_minutes", 9999),
    "invitations": ("role", "admin"),
    "consents": ("granted", False),
    "minute_grants": ("minutes", 9999),
    "billing_notices": ("occasion", "rewritten"),
    "scorecards": ("name", "Renamed"),
    "scorecard_versions": ("criteria", '{"version": 99}'),
    "scenarios": ("name", "Renamed"),
    "assignments": ("target_score", 4),
    "recordings": ("title", "Renamed"),
    "recording_usage": ("used_seconds", 9999),
}
# The column that names one row: ``id``, but a scorecard version is keyed by its scorecard (and
# its number; each tenant here has one version of one scorecard).
KEY_COLUMN = dict.fromkeys(TENANT_TABLES, "id") | {"scorecard_versions": "scorecard_id",
                                                     "recording_usage": "company_id"}
COMPANY_COLUMN = {
    table: ("id" if table == "companies" else "company_id") for table in TENANT_TABLES
}


async def _insert(conn: psycopg.AsyncConnection, table: str, values: dict) -> uuid.UUID:
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING {}").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder() * len(values)),
        sql.Identifier(KEY_COLUMN.get(table, "id")),
    )
    row = await (await conn.execute(query, list(values.values()))).fetchone()
    return row[0]


async def _make_tenant(owner: psycopg.AsyncConnection, name: str) -> Tenant:
    """A company with one row in every tenant table, written as the superuser."""
    company_id = uuid.uuid4()
    tenant = Tenant(company_id, uuid.uuid4(), uuid.uuid4(), {})
    tenant.rows["companies"] = await _insert(owner, "companies", {"id": company_id, "name": name})
    tenant.user_id = await _insert(owner, "users", _row_values("users", tenant))
    tenant.rows["users"] = tenant.user_id
    tenant.session_id = await _insert(owner, "sessions", _row_values("sessions", tenant))
    tenant.rows["sessions"] = tenant.session_id
    for table in ("subscriptions", "transcripts", "feedback", "usage_records", "minute_quotas",
                  "invitations", "consents", "minute_grants", "billing_notices", "scorecards",
                  "scorecard_versions", "scenarios", "assignments", "recordings",
                  "recording_usage"):
        tenant.rows[table] = await _insert(owner, table, _row_values(table, tenant))
    return tenant


@pytest.fixture
async def tenants(owner_conn) -> tuple[Tenant, Tenant]:
    return await _make_tenant(owner_conn, "Company A"), await _make_tenant(owner_conn, "Company B")


async def _as_company(conn: psycopg.AsyncConnection, company_id: uuid.UUID | None) -> None:
    await conn.execute(
        "SELECT set_config('app.company_id', %s, true)", (str(company_id) if company_id else "",)
    )


async def _count(conn, table: str, where_company: uuid.UUID | None = None) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    params: list = []
    if where_company is not None:
        query += sql.SQL(" WHERE {} = %s").format(sql.Identifier(COMPANY_COLUMN[table]))
        params.append(where_company)
    return (await (await conn.execute(query, params)).fetchone())[0]


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_a_company_sees_only_its_own_rows(app_conn, tenants, table):
    a, b = tenants
    async with app_conn.transaction():
        await _as_company(app_conn, a.company_id)
        assert await _count(app_conn, table, where_company=b.company_id) == 0
        assert await _count(app_conn, table) == await _count(app_conn, table, a.company_id) >= 1
        by_id = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
            sql.Identifier(table), sql.Identifier(KEY_COLUMN[table]))
        assert (await (await app_conn.execute(by_id, [b.rows[table]])).fetchone())[0] == 0


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_a_company_cannot_insert_rows_for_another(app_conn, tenants, table):
    a, b = tenants
    with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
        async with app_conn.transaction():
            await _as_company(app_conn, a.company_id)
            values = _row_values(table, b)
            if table == "companies":
                values["id"] = uuid.uuid4()  # a brand-new company is "another company" too
            if table in ("transcripts", "feedback", "usage_records"):
                # one such row per session: aim at a session with none, so that only the policy
                # can be what refuses the insert
                values["session_id"] = uuid.uuid4()
            await _insert(app_conn, table, values)


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_a_company_cannot_update_or_delete_rows_of_another(
    app_conn, owner_conn, tenants, table
):
    a, b = tenants
    column, value = UPDATES[table]
    async with app_conn.transaction():
        await _as_company(app_conn, a.company_id)
        key = sql.Identifier(KEY_COLUMN[table])
        update = sql.SQL("UPDATE {} SET {} = %s WHERE {} = %s").format(
            sql.Identifier(table), sql.Identifier(column), key
        )
        assert (await app_conn.execute(update, [value, b.rows[table]])).rowcount == 0
        delete = sql.SQL("DELETE FROM {} WHERE {} = %s").format(sql.Identifier(table), key)
        assert (await app_conn.execute(delete, [b.rows[table]])).rowcount == 0
        # the unfiltered forms touch only the company's own rows
        everything = sql.SQL("DELETE FROM {}").format(sql.Identifier(table))
        await app_conn.execute(everything)
    assert await _count(owner_conn, table, b.company_id) >= 1
    untouched = sql.SQL("SELECT {} FROM {} WHERE {} = %s").format(
        sql.Identifier(column), sql.Identifier(table), sql.Identifier(KEY_COLUMN[table])
    )
    current = (await (await owner_conn.execute(untouched, [b.rows[table]])).fetchone())[0]
    assert str(current) not in (str(value), "{'version': 99}")


@pytest.mark.parametrize("table", [t for t in TENANT_TABLES if t != "companies"])
async def test_a_row_cannot_be_moved_to_another_company(app_conn, tenants, table):
    a, b = tenants
    move = sql.SQL("UPDATE {} SET company_id = %s WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(KEY_COLUMN[table]))
    with pytest.raises(
        (errors.InsufficientPrivilege, errors.ForeignKeyViolation, errors.CheckViolation)
    ) as raised:
        async with app_conn.transaction():
            await _as_company(app_conn, a.company_id)
            await app_conn.execute(move, [b.company_id, a.rows[table]])
    # the policy refuses it before any key is checked
    assert isinstance(raised.value, errors.InsufficientPrivilege)


@pytest.mark.parametrize("table", TENANT_TABLES)
async def test_no_company_set_means_no_rows(app_conn, tenants, table):
    async with app_conn.transaction():
        assert await _count(app_conn, table) == 0
        await _as_company(app_conn, None)
        assert await _count(app_conn, table) == 0


async def test_the_system_context_must_be_asked_for_and_then_sees_everyone(app_conn, tenants):
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.context', 'system', true)")
        assert await _count(app_conn, "companies") == 2
    # transaction-local: the next transaction is back to nobody
    async with app_conn.transaction():
        assert await _count(app_conn, "companies") == 0


async def test_the_app_role_has_no_way_around_the_policies(owner_conn):
    role = await (await owner_conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles"
        " WHERE rolname = 'pitchlab_app'"
    )).fetchone()
    assert role == (False, False, False, False)
    owners = await (await owner_conn.execute(
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
    )).fetchall()
    assert ("pitchlab_app",) not in owners


async def test_every_tenant_table_enables_and_forces_row_level_security(owner_conn):
    protected = TENANT_TABLES + SYSTEM_TABLES + APPEND_ONLY_TABLES
    rows = await (await owner_conn.execute(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
        " WHERE relname = ANY(%s) AND relkind = 'r'", (protected,)
    )).fetchall()
    assert sorted(rows) == sorted((t, True, True) for t in protected)
    policies = await (await owner_conn.execute(
        "SELECT tablename, qual IS NOT NULL, with_check IS NOT NULL FROM pg_policies"
        " WHERE schemaname = 'public' AND tablename <> ALL(%s)", (APPEND_ONLY_TABLES,)
    )).fetchall()
    assert sorted(policies) == sorted((t, True, True) for t in TENANT_TABLES + SYSTEM_TABLES)
    # The append-only tables: one policy to read and one to insert (the app may do nothing
    # else), and the owner's own (tests/database/test_audit_log_table.py tries them).
    append_only = await (await owner_conn.execute(
        "SELECT tablename, cmd FROM pg_policies WHERE tablename = ANY(%s)", (APPEND_ONLY_TABLES,)
    )).fetchall()
    assert sorted(append_only) == sorted(
        (t, cmd) for t in APPEND_ONLY_TABLES for cmd in ("ALL", "INSERT", "SELECT")
    )


async def test_every_table_in_the_schema_is_either_a_tenant_table_or_known_global(owner_conn):
    # A new table must make a choice: isolate it, or list it here with the reason it is global.
    global_tables = {"alembic_version"}
    rows = await (await owner_conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename NOT LIKE 'procrastinate%%'"
    )).fetchall()
    assert {r[0] for r in rows} == (
        set(TENANT_TABLES) | set(SYSTEM_TABLES) | set(APPEND_ONLY_TABLES) | global_tables
    )


async def _system_rows(owner) -> tuple[dict[str, uuid.UUID | str], uuid.UUID]:
    company_id = await _insert(owner, "companies", {"id": uuid.uuid4(), "name": "Sys"})
    user_id = await _insert(owner, "users", {
        "company_id": company_id, "email": "sys@example.com", "hashed_password": "x",
        "role": "admin"})
    far = "2100-01-01T00:00:00Z"
    return {
        "email_verification_tokens": await _insert(owner, "email_verification_tokens", {
            "user_id": user_id, "token_hash": "v", "expires_at": far}),
        "refresh_tokens": await _insert(owner, "refresh_tokens", {
            "user_id": user_id, "family_id": uuid.uuid4(), "token_hash": "r", "expires_at": far}),
        "email_outbox": await _insert(owner, "email_outbox", {
            "kind": "verify", "to_address": "sys@example.com", "subject": "s",
            "text_body": "t", "html_body": "h"}),
        "stream_tickets": await _insert(owner, "stream_tickets", {
            "user_id": user_id, "token_hash": "t", "expires_at": far,
            "session_id": await _insert(owner, "sessions", {
                "company_id": company_id, "user_id": user_id, "status": "in_progress",
                "scenario_id": "discovery-busy-vp", "mode": "text"})}),
        "webhook_events": await _insert(owner, "webhook_events", {
            "source": "stripe", "event_id": "evt_1", "event_type": "invoice.paid",
            "raw_body": b"{}", "payload": "{}"}),
        "demo_bookings": await _insert(owner, "demo_bookings", {
            "name": "Pat", "email": "pat@example.com", "company": "Globex",
            "start_time": far, "timezone": "Europe/Berlin"}),
        "alert_states": await _insert_alert_state(owner, "job_failed:send_email"),
    }, company_id


async def _insert_alert_state(conn: psycopg.AsyncConnection, key: str) -> str:
    """alert_states is keyed by the alert's name, not an id."""
    await conn.execute("INSERT INTO alert_states (key, sent_at) VALUES (%s, now())", (key,))
    return key


@pytest.mark.parametrize("table", SYSTEM_TABLES)
async def test_system_tables_are_invisible_and_unwritable_without_the_system_context(
    app_conn, owner_conn, table
):
    _, company_id = await _system_rows(owner_conn)
    delete = sql.SQL("DELETE FROM {}").format(sql.Identifier(table))
    for company in (None, company_id):  # no context, and even the row's own company
        async with app_conn.transaction():
            await _as_company(app_conn, company)
            assert await _count(app_conn, table) == 0
            assert (await app_conn.execute(delete)).rowcount == 0
    assert await _count(owner_conn, table) == 1
    async with app_conn.transaction():
        await app_conn.execute("SELECT set_config('app.context', 'system', true)")
        assert await _count(app_conn, table) == 1
