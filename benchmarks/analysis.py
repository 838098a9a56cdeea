"""Feedback benchmark: the time to analyse and score a 60-minute call (about 9,000 words) with
the local scorer, and the p95 time from ``POST /end`` to feedback ready, through the API with the
in-process worker.

    uv run python benchmarks/analysis.py [--runs 30] [--calls 20]

PostgreSQL: PITCHLAB_BENCH_DATABASE_URL (a server's maintenance database) or an embedded one.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import time
import tracemalloc
import uuid

import httpx
import psycopg
from harness import machine, scratch_database
from pydantic import SecretStr

from pitchlab.analysis import clear_caches
from pitchlab.analysis.local_scorer import score_locally
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.app import create_app
from pitchlab.config import Settings
from pitchlab.database_setup import libpq_dsn, prepare_database
from pitchlab.db import normalize_url
from pitchlab.security.tokens import issue_access_token

REP = ["What does your onboarding look like today?", "Um, so we basically help teams ramp faster.",
       "That makes sense, I hear you.", "How do your managers coach calls?",
       "Which means your reps hit quota sooner, like, months sooner.",
       "Would you be open to a pilot next Thursday at 10am?", "Tell me more about that."]
PROSPECT = ["We hire about ten reps a quarter.", "Honestly the price worries me.",
            "Our managers have no time to listen to calls.", "That sounds interesting.",
            "We tried something like this before and nobody used it.", "Okay, go on."]


def long_call(minutes: int = 60, seed: int = 7) -> list[dict]:
    """About 150 spoken words a minute, turns alternating with short pauses."""
    rng = random.Random(seed)
    turns, clock, speaker = [], 0, "prospect"
    while clock < minutes * 60_000:
        pool = REP if speaker == "rep" else PROSPECT
        text = " ".join(rng.choice(pool) for _ in range(rng.randint(1, 7)))
        length = int(len(text.split()) / 2.5 * 1000)
        turns.append(
            {"speaker": speaker, "text": text, "start_ms": clock, "end_ms": clock + length}
        )
        clock += length + rng.randint(300, 1500)
        speaker = "rep" if speaker == "prospect" else "prospect"
    return turns


def time_analysis(runs: int) -> None:
    turns = long_call()
    word_total = sum(len(t["text"].split()) for t in turns)
    timings = []
    for _ in range(runs):
        clear_caches()  # every run starts cold, as a real call would
        started = time.perf_counter()
        metrics = compute_metrics(turns)
        score_locally(turns, metrics)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"analyse + score a 60-minute call ({len(turns)} turns, {word_total} words), "
          f"{runs} runs:")
    print(f"  min {min(timings):.1f} ms, median {statistics.median(timings):.1f} ms, p95 "
          f"{_p95(timings):.1f} ms, max {max(timings):.1f} ms (target <= 100 ms)")
    clear_caches()
    tracemalloc.start()
    score_locally(turns, compute_metrics(turns))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  memory: {peak / 2**20:.1f} MiB allocated at the peak of one analysis "
          "(tracemalloc; no model is loaded)")


def _p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile (never above the maximum, whatever the count)."""
    ranked = sorted(values)
    return ranked[max(0, math.ceil(0.95 * len(ranked)) - 1)]


async def time_end_to_feedback(settings: Settings, calls: int) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        company, users = uuid.uuid4(), []
        owner_dsn = libpq_dsn(normalize_url(settings.database_url.get_secret_value()))
        with psycopg.connect(owner_dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO companies (id, name, trial_expires_at) VALUES (%s, 'Bench',"
                         " now() + interval '1 day')", (company,))
            conn.execute("INSERT INTO minute_quotas (company_id, total_minutes)"
                         " VALUES (%s, 100000)", (company,))
            user = uuid.uuid4()
            conn.execute("INSERT INTO users (id, company_id, email, hashed_password, role,"
                         " email_verified_at) VALUES (%s, %s, %s, 'x', 'user', now())",
                         (user, company, f"bench-{user.hex[:8]}@example.com"))
            users.append(user)
        token = issue_access_token(settings.jwt_secret.get_secret_value(), user_id=users[0],
                                   company_id=company, role="user", lifetime_seconds=3600)
        headers = {"Authorization": f"Bearer {token}"}
        waits = []
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://bench", headers=headers) as api:
            for _ in range(calls):
                sid = (await api.post("/api/sessions/start", json={"mode": "text"})).json()["id"]
                for line in REP[:5]:
                    await api.post(f"/api/sessions/{sid}/stream", json={"text": line})
                started = time.perf_counter()
                await api.post(f"/api/sessions/{sid}/end")
                # polls, as a client would: the observable is the API's answer
                while True:
                    if (await api.get(f"/api/sessions/{sid}/feedback")).status_code == 200:
                        break
                    await asyncio.sleep(0.01)
                waits.append(time.perf_counter() - started)
    print(f"POST /end to feedback ready (local scorer, in-process worker), {calls} calls:")
    print(f"  median {statistics.median(waits) * 1000:.0f} ms, p95 "
          f"{_p95(waits) * 1000:.0f} ms (target 2000 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    print(machine() + "\n")
    time_analysis(args.runs)
    if args.calls <= 0:
        return  # the analysis alone: no database

    with scratch_database() as (owner_url, workdir):
        settings = Settings(_env_file=None, data_dir=workdir / "data", run_worker_in_process=True,
                            database_url=SecretStr(owner_url.render_as_string(
                                hide_password=False)))
        settings, _ = prepare_database(settings)
        asyncio.run(time_end_to_feedback(settings, args.calls))


if __name__ == "__main__":
    main()
