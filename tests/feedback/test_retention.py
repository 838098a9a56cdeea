"""Retention: transcripts and feedback of calls older than the company's retention are deleted
by the hourly job; the calls' minutes and times stay, and the endpoints say the content is gone
instead of showing it pending."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.feedback.service import purge_expired
from pitchlab.jobs.queue import declared_jobs, load_job_modules
from tests.auth.helpers import bearer
from tests.practice.helpers import finished_text_call, rep


async def finished_call(client, app, tokens: dict) -> str:
    return await finished_text_call(client, app, tokens, "What does onboarding cost you today?")


def age_call(owner_url, sid: str, days: int) -> None:
    """Move the call ``days`` into the past, as if it had happened then."""
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE sessions SET started_at = started_at - make_interval(days => %s),"
                     " ended_at = ended_at - make_interval(days => %s) WHERE id = %s",
                     (days, days, sid))


def set_retention(owner_url, email: str, days: int | None) -> None:
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE companies SET retention_days = %s WHERE id ="
                     " (SELECT company_id FROM users WHERE email = %s)", (days, email))


def billing_facts(owner_url, sid: str) -> tuple:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT status, minutes_billed, started_at, ended_at FROM sessions"
                            " WHERE id = %s", (sid,)).fetchone()


async def purge(app) -> int:
    context = context_of(app)
    return await purge_expired(context.database, context.settings.retention_days,
                               datetime.now(UTC))


async def test_content_past_the_company_retention_goes_and_the_billing_facts_stay(
    client, app, owner_url
):
    tokens = await rep(client, app, owner_url)
    set_retention(owner_url, tokens["email"], 30)
    old = await finished_call(client, app, tokens)
    recent = await finished_call(client, app, tokens)
    age_call(owner_url, old, 31)
    age_call(owner_url, recent, 29)
    facts = billing_facts(owner_url, old)

    assert await purge(app) == 2  # the old call's transcript and report
    for path in ("transcript", "feedback"):
        gone = await client.get(f"/api/sessions/{old}/{path}", headers=bearer(tokens))
        assert gone.status_code == 404, gone.text
        kept = await client.get(f"/api/sessions/{recent}/{path}", headers=bearer(tokens))
        assert kept.status_code == 200, kept.text
    assert billing_facts(owner_url, old) == facts
    listed = (await client.get(f"/api/sessions/{old}", headers=bearer(tokens)))
    assert listed.status_code == 200
    assert await purge(app) == 0  # nothing left to purge


async def test_a_company_without_its_own_retention_keeps_the_default(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    default = context_of(app).settings.retention_days
    sid = await finished_call(client, app, tokens)
    age_call(owner_url, sid, default - 1)
    assert await purge(app) == 0
    age_call(owner_url, sid, 2)
    assert await purge(app) == 2


def test_the_purge_runs_every_hour():
    load_job_modules()
    spec = declared_jobs()["purge_expired_calls"]
    assert spec.periodic_cron == "17 * * * *"
