"""Feedback end to end through HTTP: end a call, the job scores it, the numbers match the
transcript; failures are retried, then reported; stranded feedback is re-queued."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from pitchlab.analysis.text import words
from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.feedback.service import requeue_stranded
from pitchlab.jobs.maintenance import retry_stalled
from pitchlab.providers import build_providers
from pitchlab.security.vault import KeyRing, Vault
from tests.auth.helpers import bearer, drain_jobs, invoke_cli
from tests.conftest import TEST_APP_PASSWORD, TEST_ENCRYPTION_KEYS, make_settings
from tests.practice.helpers import rep, start

SCRIPT = [
    "Hi Marcus, thanks for taking the call.",
    "What are your biggest challenges with ramping new reps?",
    "How do your managers coach calls today?",
    "Our platform helps managers coach faster, which means reps ramp in half the time.",
    "That makes sense, I hear you. What happened with the last tool?",
    "Would you be open to a meeting next Thursday at 10am with your enablement lead?",
]


async def _finished_call(client, tokens) -> str:
    sid = (await start(client, tokens, mode="text", scenario_id="discovery-busy-vp"))["id"]
    for line in SCRIPT:
        response = await client.post(
            f"/api/sessions/{sid}/stream", headers=bearer(tokens), json={"text": line}
        )
        assert response.status_code == 200
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    assert ended.json()["feedback_status"] == "pending"
    return sid


async def test_feedback_is_pending_then_ready_and_matches_the_transcript(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = await _finished_call(client, tokens)
    pending = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert pending.status_code == 202 and pending.json() == {"status": "pending"}

    await drain_jobs(app)
    ready = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["created_at"]
    metrics = body["metrics"]
    transcript = (
        await client.get(f"/api/sessions/{sid}/transcript", headers=bearer(tokens))
    ).json()
    rep_turns = [t["text"] for t in transcript["turns"] if t["speaker"] == "rep"]
    assert rep_turns == SCRIPT
    assert metrics["scored_by"] == "local"
    assert metrics["word_count"]["rep"] == sum(len(words(t)) for t in SCRIPT)
    assert metrics["questions_asked"] == 4
    assert 0 < metrics["talk_ratio"] < 1
    for skill in ("discovery", "objection_handling", "rapport", "value_articulation", "closing"):
        scored = metrics["skill_scores"][skill]
        assert 1 <= scored["score"] <= 5
        for quote in scored["evidence"]:
            assert any(quote in line for line in rep_turns)  # verbatim from the rep
    assert metrics["skill_scores"]["closing"]["score"] == 5  # a meeting with a day and a time
    assert metrics["summary"] and metrics["strengths"] and metrics["improvements"]
    assert {
        "version",
        "duration_seconds",
        "pace_wpm",
        "filler_words",
        "interactivity",
        "patience_seconds",
        "sentiment",
        "longest_monologue_seconds",
        "longest_customer_story_seconds",
        "talk_time_seconds",
    } <= set(metrics)


async def test_feedback_of_another_company_is_404_and_cancelled_calls_have_none(
    client, app, owner_url
):
    alice, mallory = await rep(client, app, owner_url), await rep(client, app, owner_url)
    sid = await _finished_call(client, alice)
    assert (
        await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(mallory))
    ).status_code == 404
    cancelled = (await start(client, alice, mode="text"))["id"]
    await client.post(
        f"/api/sessions/{cancelled}/end", headers=bearer(alice), json={"reason": "cancelled"}
    )
    assert (
        await client.get(f"/api/sessions/{cancelled}/feedback", headers=bearer(alice))
    ).status_code == 404


class BrokenScorer:
    calls = 0

    async def score(self, turns, metrics, user, criteria=None):
        BrokenScorer.calls += 1
        raise RuntimeError("scorer exploded")


@pytest.fixture
async def broken_app(owner_url, tmp_path):
    settings = make_settings(owner_url, tmp_path)
    providers = build_providers(settings, Vault(KeyRing.parse(TEST_ENCRYPTION_KEYS)))
    providers.scorer = BrokenScorer()
    broken = create_app(settings, providers=providers)
    async with broken.router.lifespan_context(broken), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=broken), base_url="http://testserver"
    ) as client:
        yield broken, client


async def test_a_failing_scorer_is_retried_then_the_feedback_says_failed(broken_app, owner_url):
    app, client = broken_app
    tokens = await rep(client, app, owner_url)
    sid = await _finished_call(client, tokens)
    BrokenScorer.calls = 0
    for _ in range(3):
        await drain_jobs(app)
        with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
            conn.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")
    assert BrokenScorer.calls == 3
    failed = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert failed.status_code == 200
    assert failed.json() == {"status": "failed", "error": "scoring failed after 3 attempts"}
    assert "exploded" not in failed.text  # the detail is for the log, not the client


async def test_stranded_feedback_is_requeued_and_then_produced(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = await _finished_call(client, tokens)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        # the job is lost, and the call ended a while ago
        conn.execute(
            "DELETE FROM procrastinate_jobs WHERE task_name = 'generate_feedback'"
            " AND args->>'session_id' = %s",
            (sid,),
        )
        conn.execute(
            "UPDATE sessions SET ended_at = now() - interval '5 minutes',"
            " started_at = now() - interval '6 minutes' WHERE id = %s",
            (sid,),
        )
    assert await requeue_stranded(context_of(app).database, 120) == 1
    assert await requeue_stranded(context_of(app).database, 120) == 0  # queued once, not twice
    await drain_jobs(app)
    assert (
        await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    ).status_code == 200


async def test_a_job_left_doing_by_a_dead_worker_is_run_again(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = await _finished_call(client, tokens)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        # what a SIGKILLed worker leaves behind: its row, an old heartbeat, the job "doing"
        worker = conn.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES"
            " (now() - interval '10 minutes') RETURNING id"
        ).fetchone()[0]
        conn.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s"
            " WHERE task_name = 'generate_feedback' AND args->>'session_id' = %s",
            (worker, sid),
        )
    assert await retry_stalled(context_of(app).jobs.job_manager) == 1
    await drain_jobs(app)
    assert (
        await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    ).status_code == 200


async def test_the_demo_command_prints_a_feedback_report(owner_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PITCHLAB_DATABASE_URL", owner_url.render_as_string(hide_password=False))
    monkeypatch.setenv("PITCHLAB_DATABASE_APP_PASSWORD", TEST_APP_PASSWORD)
    monkeypatch.setenv("PITCHLAB_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = await invoke_cli(["demo"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Rep:      Hi Marcus" in out and "Prospect: Well, since you ask" in out
    assert "Feedback report" in out and "Skills (scored by local)" in out
    assert "Closing             ##### 5/5" in out
