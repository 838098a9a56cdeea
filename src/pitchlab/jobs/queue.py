"""The job queue: one procrastinate App per process, connected as the application role.

Domains declare tasks with ``@job(...)``; every App built here registers all of them
(procrastinate's blueprints can serve only one App, and tests build several). The worker hands
each task the process's resources (settings, database) through procrastinate's job context.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import procrastinate
from procrastinate.manager import JobManager
from procrastinate.retry import get_retry_strategy
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.config import Settings
from pitchlab.database_setup import libpq_dsn
from pitchlab.db import Database
from pitchlab.providers import Providers

log = logging.getLogger(__name__)

TaskFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    function: TaskFunction
    name: str
    queue: str
    retry: procrastinate.RetryStrategy | int
    periodic_cron: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


_JOBS: dict[str, JobSpec] = {}

# Modules that declare jobs; imported when a queue app is built, so that every process (server,
# worker, test) knows every job.
JOB_MODULES = (
    "pitchlab.notifications.jobs",
    "pitchlab.practice.jobs",
    "pitchlab.feedback.jobs",
    "pitchlab.webhooks.jobs",
    "pitchlab.billing.stripe_events",
    "pitchlab.billing.jobs",
    "pitchlab.demo.jobs",
    "pitchlab.jobs.maintenance",
    "pitchlab.alerts.jobs",
    "pitchlab.recordings.jobs",
)


def job(
    name: str,
    *,
    queue: str = "default",
    retry: procrastinate.RetryStrategy | int = 0,
    periodic_cron: str | None = None,
) -> Callable[[TaskFunction], TaskFunction]:
    """Declare a task. It receives procrastinate's JobContext first (see ``resources``)."""

    def register(function: TaskFunction) -> TaskFunction:
        if name in _JOBS:
            raise ValueError(f"job {name!r} is declared twice")
        _JOBS[name] = JobSpec(function, name, queue, retry, periodic_cron)
        return function

    return register


def load_job_modules() -> None:
    """Import every module that declares jobs or event subscribers (imports are cached)."""
    for module in JOB_MODULES:
        importlib.import_module(module)


def declared_jobs() -> dict[str, JobSpec]:
    return dict(_JOBS)


@dataclass
class WorkerResources:
    """What a task may use. Read it with ``resources(context)``."""

    settings: Settings
    database: Database
    providers: Providers


def resources(context: procrastinate.JobContext) -> WorkerResources:
    found: WorkerResources = context.additional_context["resources"]
    return found


# Told of every job whose last attempt failed: (job name, error, resources). The alerts domain
# subscribes (alerts/jobs.py); a hook here keeps the queue below every domain.
ExhaustedHook = Callable[[str, BaseException, "WorkerResources"], Awaitable[None]]
_EXHAUSTED_HOOKS: list[ExhaustedHook] = []


def on_job_exhausted(hook: ExhaustedHook) -> ExhaustedHook:
    """Call ``hook`` when a job fails and procrastinate will not retry it."""
    _EXHAUSTED_HOOKS.append(hook)
    return hook


def _reporting_exhaustion(spec: JobSpec) -> TaskFunction:
    strategy = get_retry_strategy(spec.retry)

    @functools.wraps(spec.function)
    async def run(context: procrastinate.JobContext, **kwargs: Any) -> Any:
        try:
            return await spec.function(context, **kwargs)
        except Exception as error:
            assert context.job is not None  # a running task always has its job
            if strategy is None or strategy.get_retry_decision(
                exception=error, job=context.job
            ) is None:
                await _tell_exhausted(spec.name, error, resources(context))
            raise

    return run


async def _tell_exhausted(name: str, error: BaseException, found: WorkerResources) -> None:
    for hook in _EXHAUSTED_HOOKS:
        try:
            await hook(name, error, found)
        except Exception:  # reporting a failure must not hide the failure itself
            log.exception("could not report job %s out of retries", name)


def build_job_app(
    app_url: URL, *, pool_size: int = 4, connect_timeout: int = 5
) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_dsn(app_url),
        min_size=1,
        max_size=pool_size,
        # A database that does not answer must fail the worker's queries in seconds (its
        # supervisor then waits for the database), not hold them for the pool's default 30 s.
        kwargs={"connect_timeout": connect_timeout},
        timeout=connect_timeout * 2,
    )
    load_job_modules()
    app = procrastinate.App(connector=connector)
    for spec in _JOBS.values():
        task = app.task(name=spec.name, queue=spec.queue, retry=spec.retry, pass_context=True)(
            _reporting_exhaustion(spec)
        )
        if spec.periodic_cron:
            app.periodic(cron=spec.periodic_cron, periodic_id=spec.name)(task)
    return app


async def run_worker(
    job_app: procrastinate.App,
    resources: WorkerResources,
    *,
    concurrency: int = 4,
    wait: bool = True,
    install_signal_handlers: bool = True,
    **options: Any,
) -> None:
    """Run jobs until cancelled (``wait=True``) or until the queue is empty (``wait=False``).

    A worker that starts first takes back jobs that a dead worker left half done."""
    await retry_stalled(job_app.job_manager)
    await job_app.run_worker_async(
        concurrency=concurrency,
        wait=wait,
        install_signal_handlers=install_signal_handlers,
        additional_context={"resources": resources},
        **options,
    )


async def retry_stalled(job_manager: JobManager) -> int:
    """Jobs left "doing" by a worker that died (no heartbeat for 30 s) are run again."""
    stalled = list(await job_manager.get_stalled_jobs())
    for stalled_job in stalled:
        await job_manager.retry_job(stalled_job)
    if stalled:
        log.warning("re-queued %d job(s) whose worker stopped", len(stalled))
    return len(stalled)


_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    " :queue, :task, 0, NULL, :queueing_lock, CAST(:args AS jsonb), NULL"
    ")::procrastinate_job_to_defer_v1]))"
)


async def defer_in_transaction(
    session: AsyncSession, name: str, *, queueing_lock: str | None = None, **args: Any
) -> int:
    """Queue job ``name`` inside the session's transaction: it exists if and only if the
    transaction commits, so "write the row, queue its job" can never half-happen.

    Uses procrastinate's own SQL entry point (the one its connector calls), on our connection.
    """
    spec = _JOBS[name]
    result = await session.execute(
        _DEFER,
        {
            "queue": spec.queue,
            "task": spec.name,
            "queueing_lock": queueing_lock,
            "args": json.dumps(args, default=str),
        },
    )
    return int(result.scalar_one())
