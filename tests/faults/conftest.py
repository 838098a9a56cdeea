"""Shared steps of the provider-fault tests: the session's app with one vendor swapped for a fake
behind a misbehave switch (tests/fakes/misbehave.py), the job queue run as the worker runs it,
and /metrics read as Prometheus reads it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator

from pitchlab import metrics as app_metrics
from pitchlab.deps import context_of, install_context
from tests.auth.helpers import drain_jobs
from tests.http.test_metrics_scrape import samples, value


@contextlib.contextmanager
def using(app, *, settings: dict | None = None, **providers) -> Iterator[None]:
    """The session's app with these providers (and settings) for the block, put back after."""
    original = context_of(app)
    install_context(app, dataclasses.replace(
        original,
        settings=original.settings.model_copy(update=settings or {}),
        providers=dataclasses.replace(original.providers, **providers),
    ))
    try:
        yield
    finally:
        install_context(app, original)


async def drain_counted(app) -> None:
    """Run the queue to its end as the app's in-process worker would, counting into the app's
    /metrics (a vendor failure in a job shows there, as it does under `pitchlab serve`)."""
    token = app_metrics.use(context_of(app).metrics)
    try:
        await drain_jobs(app)
    finally:
        app_metrics.reset(token)


async def provider_errors(client, provider: str) -> float:
    response = await client.get("/metrics")
    assert response.status_code == 200
    seen = value(samples(response.text), "pitchlab_provider_call_errors_total", provider=provider)
    assert seen is not None, f"no error series for {provider}"
    return seen


async def bring_forward(owner_conn, task: str, **args: str) -> int:
    """procrastinate schedules a job's retry after a backoff: make it due now rather than wait.
    Returns how many jobs of ``task`` with these ``args`` were waiting (the queue outlives a test:
    another test's job of the same task may still be waiting); a job that has already failed an
    attempt must have been scheduled in the future (a retry at once would hammer a vendor that
    is down)."""
    # The backoff is read from the job's own history (when its retry was decided, and for when),
    # not from the wall clock, so a slow machine cannot make it look shorter or longer.
    cursor = await owner_conn.execute(
        "SELECT j.attempts, j.scheduled_at - (SELECT max(e.at) FROM procrastinate_events e"
        "  WHERE e.job_id = j.id AND e.type = 'deferred_for_retry')"
        " FROM procrastinate_jobs j WHERE j.task_name = %s AND j.args @> %s::jsonb"
        " AND j.status = 'todo'", (task, json.dumps(args)))
    jobs = await cursor.fetchall()
    for attempts, backoff in jobs:
        if attempts > 0:
            assert backoff is not None and backoff.total_seconds() >= 1, (
                "a retry must wait out a backoff, not run at once")
    waiting = len(jobs)
    await owner_conn.execute(
        "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = %s"
        " AND args @> %s::jsonb AND status = 'todo'", (task, json.dumps(args)))
    return int(waiting)


async def job_attempts(owner_conn, task: str, **args: str) -> list[int]:
    """The attempts of the jobs of ``task`` with these ``args`` still to run."""
    cursor = await owner_conn.execute(
        "SELECT attempts FROM procrastinate_jobs WHERE task_name = %s AND args @> %s::jsonb"
        " AND status = 'todo' ORDER BY id", (task, json.dumps(args)))
    return [row[0] for row in await cursor.fetchall()]


def assert_envelope(response, status: int, code: str) -> dict:
    """The contract's error envelope, never a bare 500."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body.get("request_id") or response.headers.get("x-request-id")
    return body
