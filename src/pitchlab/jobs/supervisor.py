"""Keeping a job worker alive through database outages.

procrastinate's worker stops for good when its database connection fails (its LISTEN connection
cannot reconnect, or a fetch raises), and its connection pool retries on a slow backoff of its own.
The supervisor runs the worker until it is cancelled; whenever the worker stops on its own, it marks
it down, waits (with exponential backoff) until the database answers ``SELECT 1``, opens the queue's
pool afresh and starts the worker again, logging each restart.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Self

import procrastinate

from pitchlab.db import describe_error
from pitchlab.jobs.queue import WorkerResources, run_worker

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 5.0


@dataclass
class WorkerHealth:
    """What ``/readyz`` says about the in-process worker."""

    running: bool = False
    restarts: int = 0
    last_error: str | None = None
    failed_checks: int = 0  # database checks that found it still unreachable, in all


@dataclass(frozen=True)
class Backoff:
    base: float = 0.5
    cap: float = 30.0

    def delays(self, start: int = 0) -> Iterator[float]:
        """``base``, doubling up to ``cap``, beginning ``start`` doublings in."""
        delay = min(self.base * 2 ** min(start, 32), self.cap)
        while True:
            yield delay
            delay = min(delay * 2, self.cap)


async def supervise_worker(
    job_app: procrastinate.App,
    resources: WorkerResources,
    *,
    concurrency: int = 4,
    backoff: Backoff = Backoff(),
    health: WorkerHealth | None = None,
) -> None:
    """Run the worker until cancelled, starting it again whenever it stops on its own."""
    health = health if health is not None else WorkerHealth()
    loop = asyncio.get_running_loop()
    name = f"pitchlab-{uuid.uuid4().hex[:8]}"
    failures = 0
    while True:
        started = loop.time()
        health.running = True
        with _WorkerFailureWatch(name, health) as watch:
            try:
                await run_worker(job_app, resources, concurrency=concurrency,
                                 install_signal_handlers=False, name=name)
                reason = watch.failure or "the worker stopped on its own"
            except Exception as exc:  # whatever stopped it, it must come back
                reason = watch.failure or describe_error(exc)
        health.running = False
        health.last_error = reason
        # A worker that ran for a while before failing starts a new incident: short waits again.
        failures = 1 if loop.time() - started > backoff.cap else failures + 1
        log.warning("job worker stopped (%s); restarting once the database answers", reason)
        await _wait_until_reconnected(job_app, resources, backoff.delays(failures - 1), health)
        health.restarts += 1
        log.warning("restarting the job worker (attempt %d) after: %s", failures, reason)


async def _wait_until_reconnected(
    job_app: procrastinate.App,
    resources: WorkerResources,
    delays: Iterator[float],
    health: WorkerHealth,
) -> None:
    """Wait out the backoff until the database answers and the queue has a working pool."""
    for delay in delays:
        await asyncio.sleep(delay)
        try:
            if not await resources.database.ping(PROBE_TIMEOUT_SECONDS):
                raise ConnectionError("the database does not answer")
            await _reopen_pool(job_app)
        except Exception as exc:  # still (or again) down: back to waiting
            health.failed_checks += 1
            log.info("job worker: database still unreachable (%s)", describe_error(exc))
            continue
        return


async def _reopen_pool(job_app: procrastinate.App) -> None:
    """A fresh pool: the old one may still be sleeping in its own reconnect backoff, which
    would keep the worker from starting for up to twice as long as the outage lasted."""
    await job_app.connector.close_async()
    await asyncio.wait_for(job_app.connector.open_async(), PROBE_TIMEOUT_SECONDS)


class _WorkerFailureWatch(logging.Handler):
    """procrastinate stops its worker when a side task (its listener, heartbeat) fails, logs why
    and returns normally; this notes that moment (the worker is down from then on) and the error.
    """

    def __init__(self, worker_name: str, health: WorkerHealth) -> None:
        super().__init__(logging.ERROR)
        self.logger = logging.getLogger(f"procrastinate.worker.{worker_name}")
        self.health = health
        self.failure: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "action", None) != "side_task_failed" or self.failure is not None:
            return
        task = getattr(record, "task_name", "a side task")
        error = record.exc_info[1] if record.exc_info else None
        self.failure = f"its {task} failed: " + (describe_error(error) if error else "unknown")
        self.health.running = False

    def __enter__(self) -> Self:
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)
