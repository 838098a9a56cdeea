"""``SessionCompleted``: practice publishes it in the transaction that ends the call, feedback
reacts to it, and nothing else is coupled (issue 10)."""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg
import pytest
from pydantic import TypeAdapter
from sqlalchemy import text

from pitchlab.database_setup import libpq_dsn
from pitchlab.db import system_context, tenant_context
from pitchlab.deps import context_of
from pitchlab.feedback.service import FEEDBACK_JOB
from pitchlab.kit.events import publish, subscribers_of
from pitchlab.models.values import EndReason, SessionStatus
from pitchlab.practice import repository, service
from pitchlab.practice.events import SessionCompleted
from pitchlab.practice.jobs import sweep_once
from tests.auth.helpers import bearer, drain_jobs
from tests.practice.helpers import rep, start

COUNT_JOBS = text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task"
                  " AND args->>'session_id' = :sid")


class RolledBack(Exception):
    """Raised to roll a transaction back."""


def _jobs(owner_url, session_id: str) -> list[dict]:
    """The queued (or done) feedback jobs of a call, with their arguments."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = %s"
            " AND args->>'session_id' = %s ORDER BY id", (FEEDBACK_JOB, session_id)).fetchall()
    return [r[0] for r in rows]


def _call(owner_url, session_id: str) -> tuple:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT status, feedback_status, end_reason, company_id, user_id, minutes_billed,"
            " ended_at, (SELECT count(*) FROM usage_records WHERE session_id = s.id),"
            " (SELECT count(*) FROM feedback WHERE session_id = s.id)"
            " FROM sessions s WHERE id = %s", (session_id,)).fetchone()


def _feedback_row(owner_url, session_id: str) -> tuple:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT id, metrics, created_at FROM feedback WHERE session_id = %s",
                            (session_id,)).fetchone()


def test_feedback_is_the_subscriber_of_a_completed_call():
    assert subscribers_of(SessionCompleted) == [FEEDBACK_JOB]


async def test_the_event_exists_exactly_when_the_end_commits(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    company = _call(owner_url, sid)[3]
    database, settings = context_of(app).database, context_of(app).settings

    with pytest.raises(RolledBack):
        async with database.transaction(tenant_context(company)) as session:
            row = await repository.find_session(session, uuid.UUID(sid), user_id=None,
                                                for_update=True)
            await service.end_session(session, settings, row, status=SessionStatus.COMPLETED,
                                      reason=EndReason.ENDED_BY_USER)
            queued = await session.scalar(COUNT_JOBS, {"task": FEEDBACK_JOB, "sid": sid})
            assert queued == 1  # queued inside the transaction...
            raise RolledBack
    assert _jobs(owner_url, sid) == []  # ...and gone with it
    status, feedback_status, *_, usage, feedback = _call(owner_url, sid)
    assert (status, feedback_status, usage, feedback) == ("in_progress", None, 0, 0)

    ended = (await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))).json()
    status, _, reason, company, user, billed, ended_at, usage, _ = _call(owner_url, sid)
    assert (status, reason, usage) == ("completed", "ended_by_user", 1)
    [args] = _jobs(owner_url, sid)
    assert datetime.fromisoformat(args.pop("ended_at")) == ended_at
    assert datetime.fromisoformat(ended["ended_at"]) == ended_at
    assert args == {"session_id": sid, "company_id": str(company), "user_id": str(user),
                    "minutes_billed": billed}
    # ending it again publishes nothing more
    assert (await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))).json() == ended
    assert len(_jobs(owner_url, sid)) == 1



async def test_a_cancelled_call_publishes_nothing(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens),
                      json={"reason": "cancelled"})
    assert _jobs(owner_url, sid) == []
    assert _call(owner_url, sid)[7] == 1  # billed all the same: its usage row is there


async def test_the_idle_sweep_publishes_the_completion(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE sessions SET last_activity_at = now() - interval '1 hour'"
                     " WHERE id = %s", (sid,))
    assert await sweep_once(context_of(app).database, context_of(app).settings) == 1
    status, feedback_status, reason, *_ = _call(owner_url, sid)
    assert (status, feedback_status, reason) == ("completed", "pending", "idle_timeout")
    assert len(_jobs(owner_url, sid)) == 1
    await drain_jobs(app)
    assert _call(owner_url, sid)[1] == "ready"


async def test_a_completion_delivered_twice_leaves_one_report(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                      json={"text": "What are your biggest challenges with ramp?"})
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    [args] = _jobs(owner_url, sid)
    event = TypeAdapter(SessionCompleted).validate_python(args)

    async def deliver_again() -> None:
        async with context_of(app).database.transaction(system_context("test")) as session:
            await publish(session, event)

    await deliver_again()  # a duplicate queued before the first ran
    await drain_jobs(app)
    first = _feedback_row(owner_url, sid)
    assert first is not None and _call(owner_url, sid)[1] == "ready"
    await deliver_again()  # and one after it
    await drain_jobs(app)
    assert _feedback_row(owner_url, sid) == first  # the same row, not produced again
    *_, usage, feedback = _call(owner_url, sid)
    assert (usage, feedback) == (1, 1)
    assert len(_jobs(owner_url, sid)) == 3  # three deliveries, one report
    report = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert report.status_code == 200 and report.json()["status"] == "ready"


# --- a history that outlives the scenario library ---------------------------------------------

async def test_a_call_in_a_retired_scenario_still_lists(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        sid = str(conn.execute(
            "INSERT INTO sessions (user_id, company_id, status, scenario_id, mode, ended_at)"
            " SELECT id, company_id, 'completed', 'retired-in-2025', 'text', now() FROM users"
            " WHERE email = %s RETURNING id", (tokens["email"],)).fetchone()[0])
    listed = await client.get("/api/sessions", headers=bearer(tokens))
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["id"] == sid
    assert item["scenario"] == {
        "id": "retired-in-2025", "name": "Retired scenario", "difficulty": "unknown",
        "description": "This scenario is no longer in the library: GET /api/scenarios lists "
                       "the current ones.", "persona": {}, "call_type": None,
        "language": None, "built_in": True, "scorecard_id": None}
    one = await client.get(f"/api/sessions/{sid}", headers=bearer(tokens))
    assert one.status_code == 200 and one.json()["scenario"]["id"] == "retired-in-2025"
