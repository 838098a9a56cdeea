"""The audit log in PostgreSQL itself, tried as the application role: append-only (INSERT and
SELECT, never UPDATE or DELETE), and isolated per company like the other tenant tables, its rows
of no company readable and writable in the system context only."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors

INSERT = ("INSERT INTO audit_logs (action, company_id, actor_id, details)"
          " VALUES ('user.logged_in', %s, %s, '{}') RETURNING id")


async def _as(conn: psycopg.AsyncConnection, company_id: uuid.UUID | None,
              system: bool = False) -> None:
    await conn.execute(
        "SELECT set_config('app.company_id', %s, true), set_config('app.context', %s, true)",
        (str(company_id) if company_id else "", "system" if system else ""),
    )


@pytest.fixture
async def entries(owner_conn) -> dict[str, uuid.UUID | None]:
    """One entry each of company A, company B and no company, written by the owner. No company
    rows exist: the log names companies without referring to them, so it outlives them."""
    a, b = uuid.uuid4(), uuid.uuid4()
    for company in (a, b, None):
        await owner_conn.execute(INSERT, (company, uuid.uuid4()))
    return {"a": a, "b": b}


async def _companies_seen(conn) -> list[uuid.UUID | None]:
    rows = await (await conn.execute("SELECT company_id FROM audit_logs")).fetchall()
    return [r[0] for r in rows]


async def test_a_company_reads_only_its_own_entries(app_conn, entries):
    async with app_conn.transaction():
        await _as(app_conn, entries["a"])
        assert await _companies_seen(app_conn) == [entries["a"]]
    async with app_conn.transaction():  # no context: nothing at all
        assert await _companies_seen(app_conn) == []


async def test_the_system_context_reads_every_entry_those_of_no_company_too(app_conn, entries):
    async with app_conn.transaction():
        await _as(app_conn, None, system=True)
        assert sorted(await _companies_seen(app_conn), key=str) == sorted(
            [entries["a"], entries["b"], None], key=str)


async def test_a_company_appends_its_own_entries_only(app_conn, owner_conn, entries):
    async with app_conn.transaction():
        await _as(app_conn, entries["a"])
        await app_conn.execute(INSERT, (entries["a"], None))
    for other in (entries["b"], None):  # another company's, or nobody's outside the system
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            async with app_conn.transaction():
                await _as(app_conn, entries["a"])
                await app_conn.execute(INSERT, (other, None))
    async with app_conn.transaction():
        await _as(app_conn, None, system=True)
        await app_conn.execute(INSERT, (None, None))
    count = await (await owner_conn.execute("SELECT count(*) FROM audit_logs")).fetchone()
    assert count == (5,)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_logs SET details = '{\"rewritten\": true}'",
    "UPDATE audit_logs SET actor_id = NULL",
    "DELETE FROM audit_logs",
    "TRUNCATE audit_logs",
])
@pytest.mark.parametrize("system", [False, True])
async def test_the_app_role_can_neither_rewrite_nor_remove_entries(
    app_conn, owner_conn, entries, statement, system
):
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied"):
        async with app_conn.transaction():
            await _as(app_conn, entries["a"], system=system)
            await app_conn.execute(statement)
    rows = await (await owner_conn.execute(
        "SELECT count(*), count(actor_id), count(*) FILTER (WHERE details = '{}')"
        " FROM audit_logs")).fetchone()
    assert rows == (3, 3, 3)


async def test_the_forget_function_nulls_only_the_erased_users_id_and_address(
    app_conn, owner_conn
):
    company, erased, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for actor in (erased, other):
        await owner_conn.execute(
            "INSERT INTO audit_logs (action, company_id, actor_id, target_type, target_id, ip)"
            " VALUES ('user.logged_in', %s, %s, 'user', %s, '203.0.113.9')",
            (company, actor, str(actor)))
    async with app_conn.transaction():
        await _as(app_conn, company)
        await app_conn.execute("SELECT pitchlab_audit_forget_user(%s)", (erased,))
    rows = await (await owner_conn.execute(
        "SELECT actor_id, target_id, ip FROM audit_logs ORDER BY actor_id NULLS FIRST"
    )).fetchall()
    assert rows == [(None, None, None), (other, str(other), "203.0.113.9")]
