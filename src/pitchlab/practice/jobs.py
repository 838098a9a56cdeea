"""Periodic work for practice calls."""

from __future__ import annotations

import procrastinate

from pitchlab.config import Settings
from pitchlab.db import Database, system_context
from pitchlab.jobs.queue import job, resources
from pitchlab.practice import service

SWEEP_JOB = "sweep_idle_sessions"


async def sweep_once(database: Database, settings: Settings) -> int:
    async with database.transaction(system_context("idle_sweep")) as session:
        return await service.sweep_idle_sessions(session, settings)


@job(SWEEP_JOB, queue="sweeps", periodic_cron="* * * * *")
async def sweep_idle_sessions(
    context: procrastinate.JobContext, timestamp: int  # noqa: ARG001 (the tick, unused)
) -> None:
    deps = resources(context)
    await sweep_once(deps.database, deps.settings)
