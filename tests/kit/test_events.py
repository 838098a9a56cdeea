"""Domain events: ``publish`` queues one job per subscriber in the writing transaction, and each
job hands its subscriber the typed event.

The event types and subscribers here are the tests' own. Their jobs stay declared for the rest
of the run (job declarations are process-wide), which is harmless: they are queued only by these
tests, on a queue of their own that only these tests' worker reads, and the queue is emptied after
each test.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import ClassVar

import procrastinate
import psycopg
import pytest

from pitchlab.db import Database
from pitchlab.jobs.queue import WorkerResources, build_job_app, run_worker
from pitchlab.kit.events import DomainEvent, publish, subscriber
from pitchlab.providers import build_providers
from pitchlab.security.vault import KeyRing, Vault
from tests.conftest import TEST_ENCRYPTION_KEYS

QUEUE = "kit_tests"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Rehearsed(DomainEvent):
    name: ClassVar[str] = "kit_tests.rehearsed"

    company_id: uuid.UUID
    label: str
    at: datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class Unheard(DomainEvent):
    """An event nobody subscribes to."""

    name: ClassVar[str] = "kit_tests.unheard"

    label: str


heard: list[tuple[str, Rehearsed]] = []


@subscriber(Rehearsed, name="kit_tests.first_listener", queue=QUEUE)
async def first_listener(context: procrastinate.JobContext, event: Rehearsed) -> None:
    heard.append(("first", event))


@subscriber(Rehearsed, name="kit_tests.second_listener", queue=QUEUE)
async def second_listener(context: procrastinate.JobContext, event: Rehearsed) -> None:
    heard.append(("second", event))


def rehearsed() -> Rehearsed:
    return Rehearsed(company_id=uuid.uuid4(), label=uuid.uuid4().hex, at=datetime.now(UTC))


class Abandoned(Exception):
    """Raised inside a transaction to roll it back."""


@pytest.fixture
async def database(app_url, owner_conn: psycopg.AsyncConnection) -> AsyncIterator[Database]:
    database = Database(app_url, pool_size=2)
    yield database
    await database.dispose()
    await owner_conn.execute("DELETE FROM procrastinate_jobs WHERE queue_name = %s", (QUEUE,))


async def queued_jobs(owner_conn: psycopg.AsyncConnection, label: str) -> list[tuple]:
    cursor = await owner_conn.execute(
        "SELECT task_name, args, status FROM procrastinate_jobs"
        " WHERE queue_name = %s AND args->>'label' = %s ORDER BY task_name",
        (QUEUE, label),
    )
    return await cursor.fetchall()


async def job_count(owner_conn: psycopg.AsyncConnection) -> int:
    row = await (await owner_conn.execute("SELECT count(*) FROM procrastinate_jobs")).fetchone()
    assert row is not None
    return int(row[0])


async def run_queued_jobs(app_url, settings, database: Database) -> None:
    """Run this module's queue until it is empty."""
    providers = build_providers(settings, Vault(KeyRing.parse(TEST_ENCRYPTION_KEYS)))
    job_app = build_job_app(app_url)
    try:
        async with job_app.open_async():
            await run_worker(job_app, WorkerResources(settings, database, providers),
                             queues=[QUEUE], wait=False, install_signal_handlers=False)
    finally:
        await providers.aclose()


async def test_a_committed_publish_queues_one_job_per_subscriber_with_the_event_as_json(
    database, owner_conn
):
    event = rehearsed()
    async with database.transaction() as session:
        await publish(session, event)
        # not visible outside the transaction before it commits
        assert await queued_jobs(owner_conn, event.label) == []

    payload = {"company_id": str(event.company_id), "label": event.label,
               "at": event.at.isoformat().replace("+00:00", "Z")}
    assert await queued_jobs(owner_conn, event.label) == [
        ("kit_tests.first_listener", payload, "todo"),
        ("kit_tests.second_listener", payload, "todo"),
    ]


async def test_a_rolled_back_publish_queues_nothing(database, owner_conn):
    event = rehearsed()
    before = await job_count(owner_conn)
    with pytest.raises(Abandoned):
        async with database.transaction() as session:
            await publish(session, event)
            raise Abandoned

    assert await queued_jobs(owner_conn, event.label) == []
    assert await job_count(owner_conn) == before


async def test_an_event_nobody_subscribes_to_queues_nothing(database, owner_conn):
    before = await job_count(owner_conn)
    async with database.transaction() as session:
        await publish(session, Unheard(label=uuid.uuid4().hex))

    assert await job_count(owner_conn) == before


async def test_every_subscriber_runs_and_receives_the_typed_event(
    database, owner_conn, app_url, settings
):
    event = rehearsed()
    async with database.transaction() as session:
        await publish(session, event)

    await run_queued_jobs(app_url, settings, database)

    received = sorted((who, got) for who, got in heard if got.label == event.label)
    assert received == [("first", event), ("second", event)]
    for _, got in received:
        assert isinstance(got, Rehearsed)
        assert isinstance(got.company_id, uuid.UUID)
        assert isinstance(got.at, datetime)
    assert [status for *_, status in await queued_jobs(owner_conn, event.label)] == [
        "succeeded", "succeeded",
    ]


def test_an_event_field_that_would_collide_with_the_job_arguments_is_refused():
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Clashing(DomainEvent):
        name: ClassVar[str] = "kit_tests.clashing"

        session: str
        queueing_lock: str

    refused = r"Clashing may not have a field named \['queueing_lock', 'session'\]"
    with pytest.raises(TypeError, match=refused):
        subscriber(Clashing, name="kit_tests.never_declared")
