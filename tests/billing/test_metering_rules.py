"""The minute ledger's rules, one by one, against real PostgreSQL and its row-level security.

A minute is charged once, in order, only on a live call, and only when every quota that applies
(the company's, and the user's own cap when there is one) has room; then each moves by exactly
one. Nothing else in the company (another call, another user's cap) or outside it moves.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from psycopg import AsyncConnection

# the billing domain's public surface (one line to retarget when its modules move)
from pitchlab.billing.errors import QuotaExhausted
from pitchlab.billing.service import charge_minute, minutes_remaining, record_usage
from pitchlab.db import Database, DbContext, system_context, tenant_context
from tests.practice.helpers import eventually


@pytest.fixture
async def database(app_url) -> AsyncIterator[Database]:
    """The application role's pool: every charge runs under row-level security."""
    database = Database(app_url, pool_size=2)
    yield database
    await database.dispose()


@dataclass
class Company:
    """Rows seeded as the owner (bypassing row-level security), read back the same way."""

    conn: AsyncConnection
    id: uuid.UUID

    @classmethod
    async def create(
        cls, conn: AsyncConnection, quota: tuple[int, int] | None = (60, 0)
    ) -> Company:
        """A company with a company quota of (total, used) minutes, or none."""
        company = cls(conn, uuid.uuid4())
        await conn.execute("INSERT INTO companies (id, name) VALUES (%s, 'Acme')", (company.id,))
        if quota is not None:
            await company.set_quota(None, *quota)
        return company

    async def user(self) -> uuid.UUID:
        user = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO users (id, company_id, email, hashed_password, role)"
            " VALUES (%s, %s, %s, 'x', 'user')", (user, self.id, f"{user}@example.com"))
        return user

    async def call(
        self, user: uuid.UUID, *, status: str = "in_progress", billed: int = 0
    ) -> uuid.UUID:
        """A call of ``user`` with ``billed`` minutes charged, its last activity an hour ago."""
        row = await (await self.conn.execute(
            "INSERT INTO sessions (user_id, company_id, status, scenario_id, mode, minutes_billed,"
            " last_activity_at) VALUES (%s, %s, %s, 'inbound-lead', 'text', %s,"
            " now() - interval '1 hour') RETURNING id", (user, self.id, status, billed))).fetchone()
        return row[0]

    async def set_quota(self, user: uuid.UUID | None, total: int, used: int = 0) -> None:
        """The company's quota (``user`` None) or ``user``'s own cap."""
        await self.conn.execute(
            "INSERT INTO minute_quotas (company_id, user_id, total_minutes, used_minutes)"
            " VALUES (%s, %s, %s, %s)", (self.id, user, total, used))

    async def used(self, user: uuid.UUID | None = None) -> int | None:
        """Minutes used on the company's quota (or on ``user``'s cap); None without that row."""
        row = await (await self.conn.execute(
            "SELECT used_minutes FROM minute_quotas WHERE company_id = %s"
            " AND user_id IS NOT DISTINCT FROM %s", (self.id, user))).fetchone()
        return None if row is None else row[0]

    async def billed(self, call: uuid.UUID) -> int:
        row = await (await self.conn.execute(
            "SELECT minutes_billed FROM sessions WHERE id = %s", (call,))).fetchone()
        return row[0]

    async def idle_for_an_hour(self, call: uuid.UUID) -> bool:
        row = await (await self.conn.execute(
            "SELECT last_activity_at < now() - interval '59 minutes' FROM sessions WHERE id = %s",
            (call,))).fetchone()
        return row[0]


async def charge(database: Database, company: Company, call: uuid.UUID, minute: int,
                 context: DbContext | None = None) -> bool:
    """Charge ``minute`` of ``call`` in a transaction of its own, as the stream and the sweep do:
    a refused charge rolls back the whole transaction."""
    async with database.transaction(context or tenant_context(company.id)) as session:
        return await charge_minute(session, call, minute)


async def remaining(database: Database, company: Company, user: uuid.UUID,
                    context: DbContext | None = None) -> int:
    async with database.transaction(context or tenant_context(company.id)) as session:
        return await minutes_remaining(session, company.id, user)


# --- a minute: once, in order, on a live call --------------------------------------------------


async def test_a_charged_minute_moves_the_call_and_the_company_quota_by_one(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 3))
    call = await acme.call(await acme.user())
    assert await charge(database, acme, call, 1) is True
    assert (await acme.billed(call), await acme.used()) == (1, 4)
    assert not await acme.idle_for_an_hour(call)  # a charged minute is activity


async def test_charging_the_same_minute_again_charges_nothing(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 0))
    call = await acme.call(await acme.user())
    assert await charge(database, acme, call, 1) is True
    assert await charge(database, acme, call, 1) is False
    assert (await acme.billed(call), await acme.used()) == (1, 1)


async def test_minutes_are_charged_in_order_without_gaps(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 0))
    call = await acme.call(await acme.user(), billed=1)
    assert await charge(database, acme, call, 3) is False  # minute 2 first
    assert await charge(database, acme, call, 1) is False  # charged already
    assert (await acme.billed(call), await acme.used()) == (1, 0)
    assert await charge(database, acme, call, 2) is True
    assert (await acme.billed(call), await acme.used()) == (2, 1)


@pytest.mark.parametrize("status", ["completed", "cancelled"])
async def test_an_ended_call_is_never_charged(database, owner_conn, status):
    acme = await Company.create(owner_conn, quota=(10, 0))
    call = await acme.call(await acme.user(), status=status)
    assert await charge(database, acme, call, 1) is False
    assert (await acme.billed(call), await acme.used()) == (0, 0)
    assert await acme.idle_for_an_hour(call)


async def test_charging_one_call_leaves_the_companys_other_calls_alone(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 0))
    mine, theirs = await acme.call(await acme.user()), await acme.call(await acme.user())
    assert await charge(database, acme, mine, 1) is True
    assert (await acme.billed(mine), await acme.billed(theirs)) == (1, 0)
    assert await acme.idle_for_an_hour(theirs)


# --- the quotas: all that apply have room, all move, nothing else does --------------------------


async def test_the_last_minute_of_the_quota_is_charged_and_the_next_refused(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(5, 4))
    call = await acme.call(await acme.user())
    assert await charge(database, acme, call, 1) is True
    assert await acme.used() == 5
    with pytest.raises(QuotaExhausted):
        await charge(database, acme, call, 2)
    assert (await acme.billed(call), await acme.used()) == (1, 5)


async def test_a_user_cap_with_room_moves_with_the_company_quota(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 0))
    rep = await acme.user()
    await acme.set_quota(rep, total=3, used=1)
    assert await charge(database, acme, await acme.call(rep), 1) is True
    assert (await acme.used(), await acme.used(rep)) == (1, 2)


async def test_a_full_user_cap_refuses_though_the_company_has_minutes(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 0))
    rep = await acme.user()
    await acme.set_quota(rep, total=2, used=2)
    call = await acme.call(rep)
    with pytest.raises(QuotaExhausted):
        await charge(database, acme, call, 1)
    assert (await acme.billed(call), await acme.used(), await acme.used(rep)) == (0, 0, 2)


async def test_a_full_company_quota_refuses_though_the_user_cap_has_room(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 10))
    rep = await acme.user()
    await acme.set_quota(rep, total=5, used=0)
    with pytest.raises(QuotaExhausted):
        await charge(database, acme, await acme.call(rep), 1)
    assert (await acme.used(), await acme.used(rep)) == (10, 0)


async def test_another_users_cap_neither_limits_nor_moves(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(10, 0))
    me, full, roomy = await acme.user(), await acme.user(), await acme.user()
    await acme.set_quota(full, total=1, used=1)
    await acme.set_quota(roomy, total=5, used=0)
    assert await charge(database, acme, await acme.call(me), 1) is True
    assert (await acme.used(), await acme.used(full), await acme.used(roomy)) == (1, 1, 0)


async def test_a_company_without_a_quota_row_has_no_minutes(database, owner_conn):
    acme = await Company.create(owner_conn, quota=None)
    rep = await acme.user()
    with pytest.raises(QuotaExhausted):
        await charge(database, acme, await acme.call(rep), 1)
    assert await remaining(database, acme, rep) == 0


async def test_a_user_cap_alone_is_no_company_quota(database, owner_conn):
    acme = await Company.create(owner_conn, quota=None)
    rep = await acme.user()
    await acme.set_quota(rep, total=5, used=0)
    with pytest.raises(QuotaExhausted):
        await charge(database, acme, await acme.call(rep), 1)
    assert await acme.used(rep) == 0
    assert await remaining(database, acme, rep) == 0


async def test_in_the_system_context_only_the_calls_own_company_counts(database, owner_conn):
    """The idle sweep charges in the system context (so does a super admin's request), where
    every company's rows are visible."""
    acme, other = await Company.create(owner_conn), await Company.create(owner_conn, (10, 10))
    rep, outsider = await acme.user(), await other.user()
    await acme.set_quota(rep, total=5, used=0)
    await other.set_quota(outsider, total=3, used=0)
    await other.call(outsider)
    system = system_context("test")
    # the other company's full quota neither refuses acme's minute nor moves with it
    assert await charge(database, acme, await acme.call(rep), 1, system) is True
    assert (await acme.used(), await acme.used(rep)) == (1, 1)
    assert (await other.used(), await other.used(outsider)) == (10, 0)
    assert await remaining(database, acme, rep, system) == 4


async def test_a_charge_waits_for_a_concurrent_one_and_sees_its_minute_gone(database, owner_conn):
    """Two reps, one minute left: the second charge queues behind the first (its rows are locked
    before the verdict) and, once the first commits, finds nothing left."""
    acme = await Company.create(owner_conn, quota=(2, 1))
    first_call, second_call = await acme.call(await acme.user()), await acme.call(await acme.user())

    async def waiting_on_a_lock() -> bool:
        row = await (await owner_conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'")).fetchone()
        return row[0] > 0

    async with database.transaction(tenant_context(acme.id)) as session:
        assert await charge_minute(session, first_call, 1) is True
        second = asyncio.create_task(charge(database, acme, second_call, 1))
        await eventually(waiting_on_a_lock, within=10)
    with pytest.raises(QuotaExhausted):
        await second
    assert (await acme.used(), await acme.billed(second_call)) == (2, 0)


# --- what is left -------------------------------------------------------------------------------


async def test_minutes_remaining_is_the_least_room_of_the_quotas_that_apply(database, owner_conn):
    acme = await Company.create(owner_conn, quota=(60, 10))
    me, capped, generous, other_capped = [await acme.user() for _ in range(4)]
    await acme.set_quota(capped, total=5, used=2)
    await acme.set_quota(generous, total=100, used=0)
    await acme.set_quota(other_capped, total=1, used=1)
    assert await remaining(database, acme, me) == 50
    assert await remaining(database, acme, capped) == 3
    assert await remaining(database, acme, generous) == 50


async def test_no_room_is_zero_minutes_remaining_never_less(database, owner_conn):
    full = await Company.create(owner_conn, quota=(10, 10))
    overdrawn = await Company.create(owner_conn, quota=(5, 8))  # its total lowered below use
    assert await remaining(database, full, await full.user()) == 0
    assert await remaining(database, overdrawn, await overdrawn.user()) == 0


# --- the usage row ------------------------------------------------------------------------------


async def test_a_call_has_one_usage_row_and_a_replayed_end_writes_nothing(database, owner_conn):
    acme = await Company.create(owner_conn)
    rep = await acme.user()
    call = await acme.call(rep, status="completed", billed=3)
    for minutes in (3, 7):  # the end of the call, then a replay of it
        async with database.transaction(tenant_context(acme.id)) as session:
            await record_usage(session, session_id=call, company_id=acme.id, user_id=rep,
                               minutes=minutes)
    rows = await (await owner_conn.execute(
        "SELECT user_id, company_id, minutes_used FROM usage_records WHERE session_id = %s",
        (call,))).fetchall()
    assert rows == [(rep, acme.id, 3)]
