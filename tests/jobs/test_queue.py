"""The queue runs as the application role: a deferred job is run by a worker with its resources."""

from __future__ import annotations

import uuid

import procrastinate
import pytest
from sqlalchemy import select

from pitchlab.db import Database, system_context
from pitchlab.jobs.queue import WorkerResources, build_job_app, job, resources, run_worker
from pitchlab.models import Company
from pitchlab.providers import build_providers
from pitchlab.security.vault import KeyRing, Vault
from tests.conftest import TEST_ENCRYPTION_KEYS

_seen: list[tuple[str, int]] = []


@job("tests.count_companies")
async def _count_companies(context: procrastinate.JobContext, label: str) -> None:
    database = resources(context).database
    async with database.transaction(system_context("test_job")) as session:
        count = len((await session.execute(select(Company.id))).scalars().all())
    _seen.append((label, count))


@pytest.fixture
async def queue(app_url, settings):
    database = Database(app_url, pool_size=2)
    job_app = build_job_app(app_url)
    async with job_app.open_async():
        vault = Vault(KeyRing.parse(TEST_ENCRYPTION_KEYS))
        yield job_app, WorkerResources(settings, database, build_providers(settings, vault))
    await database.dispose()


async def test_a_deferred_job_runs_with_the_worker_resources(queue, owner_conn):
    job_app, worker_resources = queue
    await owner_conn.execute("INSERT INTO companies (name) VALUES ('Acme'), ('Globex')")
    label = uuid.uuid4().hex
    await job_app.configure_task("tests.count_companies").defer_async(label=label)

    await run_worker(job_app, worker_resources, wait=False, install_signal_handlers=False)

    assert (label, 2) in _seen
    status = await (await owner_conn.execute(
        "SELECT status FROM procrastinate_jobs WHERE args->>'label' = %s", (label,)
    )).fetchone()
    assert status == ("succeeded",)
