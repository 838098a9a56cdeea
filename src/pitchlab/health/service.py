"""Readiness: the database answers, its schema is the one this code was written for, and the
in-process job worker (when there is one) is running."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pitchlab.db import Database
from pitchlab.health import repository
from pitchlab.jobs.supervisor import WorkerHealth

READINESS_TIMEOUT_SECONDS = 3


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)


async def check_readiness(
    database: Database, expected_revision: str, worker: WorkerHealth | None = None,
    *, draining: bool = False,
) -> Readiness:
    if draining:
        # shutting down (SIGTERM): a load balancer sends no new calls here, whatever else holds
        return Readiness(False, {"shutdown": "draining"})
    readiness = await _check_database(database, expected_revision)
    if worker is not None:
        # A process that serves requests but runs no jobs sends no email and writes no feedback.
        readiness.checks["worker"] = "up" if worker.running else "down"
        readiness.ready = readiness.ready and worker.running
    return readiness


async def _check_database(database: Database, expected_revision: str) -> Readiness:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            async with database.transaction() as session:
                revision = await repository.schema_revision(session)
    except Exception:  # any failure to reach the database means "not ready"
        return Readiness(False, {"database": "unavailable"})
    if revision != expected_revision:
        return Readiness(
            False,
            {
                "database": "ok",
                "migrations": f"at {revision or 'none'}, expected {expected_revision}",
            },
        )
    return Readiness(True, {"database": "ok", "migrations": "at head"})
