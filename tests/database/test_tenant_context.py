"""The service's own sessions: the context is applied at the start of every transaction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from pitchlab.db import Database, system_context, tenant_context, use_context
from pitchlab.models import Company


@pytest.fixture
async def database(app_url):
    database = Database(app_url, pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture
async def two_companies(owner_conn):
    ids = [uuid.uuid4(), uuid.uuid4()]
    for company_id in ids:
        await owner_conn.execute(
            "INSERT INTO companies (id, name) VALUES (%s, 'Co')", (company_id,)
        )
    return ids


async def _visible_companies(session) -> set[uuid.UUID]:
    return set((await session.execute(select(Company.id))).scalars())


async def test_a_session_without_context_sees_nothing(database, two_companies):
    async with database.transaction() as session:
        assert await _visible_companies(session) == set()


async def test_the_tenant_context_survives_commits(database, two_companies):
    a, _ = two_companies
    async with database.transaction(tenant_context(a)) as session:
        assert await _visible_companies(session) == {a}
        await session.commit()  # a new transaction begins on the next statement
        assert await _visible_companies(session) == {a}


async def test_switching_context_inside_a_transaction_applies_at_once(database, two_companies):
    a, b = two_companies
    async with database.transaction() as session:
        assert await _visible_companies(session) == set()
        await use_context(session, tenant_context(b))
        assert await _visible_companies(session) == {b}
        await use_context(session, system_context("test_listing"))
        assert await _visible_companies(session) == {a, b}


async def test_pooled_connections_do_not_carry_a_context_over(database, two_companies):
    async with database.transaction(system_context("test_listing")) as session:
        assert len(await _visible_companies(session)) == 2
    # same pool, likely the same connection: the setting was transaction-local
    for _ in range(3):
        async with database.transaction() as session:
            count = (await session.execute(select(func.count()).select_from(Company))).scalar()
            assert count == 0


def test_a_system_context_needs_a_name():
    with pytest.raises(ValueError):
        system_context("")
    with pytest.raises(ValueError):
        system_context("drop table; --")
