"""The analytics endpoints over a generated company: 50 reps and 20,000 completed calls with
feedback metrics shaped as the feedback worker stores them (five skills, some not observed; a
scorecard on half the calls; moments and a summary, so that reports are TOASTed as real ones).

Times GET /api/analytics/team (a page of all 50 reps, and the default page of 20), the CSV
download, /me and the leaderboard through `pitchlab serve` over HTTP: p50/p95/p99 over
``--requests`` sequential requests after a warm-up. Then EXPLAIN ANALYZE of the team view's
statement (totals, skills and criteria per rep) as the database owner.
Target: the team view under 200 ms.

    PITCHLAB_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        python benchmarks/analytics.py [--requests 50] [--reps 50] [--calls 20000]

The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from benchmarks.harness import (
    JWT_SECRET,
    machine,
    pct,
    scratch_database,
    seed_company,
    start_serve,
)
from sqlalchemy import URL, create_engine, text

from pitchlab.analytics import repository
from pitchlab.database_setup import libpq_dsn
from pitchlab.security.tokens import issue_access_token

WARM_UP = 5
TARGET_MS = 200

# (``%%``: the statement is sent with parameters.)
# One call's feedback, generated in SQL from its ordinal ``i`` and random draws: scores drift up
# with ``i`` so that trends are not flat; a skill is not observed about one time in six.
_SKILL = """jsonb_build_object('score', CASE WHEN random() < 0.17 THEN NULL
                  ELSE least(5, greatest(1, round(2 + g.i::numeric / {calls} * 2 + random())))
                  END,
                  'evidence', jsonb_build_array('So what happens today when a lead comes in?'))"""
_METRICS = """
jsonb_build_object(
  'version', 2, 'scored_by', 'local', 'duration_seconds', 300 + (random() * 900)::int,
  'call_type', (ARRAY['cold_call', 'discovery', 'demo', 'objection_handling', 'closing'])
               [1 + g.i %% 5],
  'talk_ratio', round((0.35 + random() * 0.4)::numeric, 3),
  'filler_words', jsonb_build_object('count', (random() * 20)::int,
                                     'per_100_words', round((random() * 6)::numeric, 2),
                                     'by_word', jsonb_build_object('um', 3, 'like', 2)),
  'questions_asked', (random() * 15)::int,
  'questions_per_10_minutes', round((random() * 12)::numeric, 2),
  'skill_scores', (SELECT jsonb_object_agg(name, skill || jsonb_build_object('status',
                          CASE WHEN skill -> 'score' = 'null' THEN 'not_observed'
                          ELSE 'scored' END))
                   FROM (SELECT name, {skill} AS skill
                         FROM unnest(ARRAY['discovery', 'objection_handling', 'rapport',
                                           'value_articulation', 'closing']) name) s),
  'scorecard', CASE WHEN g.i %% 2 = 0 THEN jsonb_build_object('id', 'card', 'version', 1,
     'criteria', (SELECT jsonb_agg(jsonb_build_object('id', c, 'name', initcap(c),
                          'weight', 25, 'status', 'scored',
                          'score', 1 + (random() * 4)::int, 'evidence', '[]'::jsonb))
                  FROM unnest(ARRAY['budget', 'authority', 'need', 'timeline']) c)) END,
  'moments', (SELECT jsonb_agg(jsonb_build_object('turn_index', m, 'start_ms', m * 9000,
                     'skill', 'discovery', 'kind', 'improvement',
                     'quote', 'We mostly use spreadsheets and it is getting painful ' || m,
                     'why', repeat('The prospect opened a door here and the rep moved on. ', 3),
                     'try_instead', 'Ask what that pain costs them each month.'))
              FROM generate_series(1, 6) m),
  'summary', repeat('A solid discovery call with room to quantify the pain. ', 8),
  'strengths', jsonb_build_array('Open questions early'),
  'improvements', jsonb_build_array('Quantify the pain', 'Agree a next step')
)"""


def seed(owner_url: URL, reps: int, calls: int) -> tuple[str, str]:
    """The company, its reps and calls; the access tokens of its admin and of one rep."""
    members = seed_company(owner_url, reps + 1)
    (admin_id, _, _), rest = members[0], members[1:]
    started = time.perf_counter()
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        company = conn.execute("UPDATE users SET role = 'admin' WHERE id = %s"
                               " RETURNING company_id", (admin_id,)).fetchone()[0]
        conn.execute("UPDATE companies SET leaderboard_enabled = true WHERE id = %s", (company,))
        conn.execute("UPDATE users SET name = 'Rep ' || substr(id::text, 1, 6)"
                     " WHERE company_id = %s", (company,))
        rep_ids = [user for user, _, _ in rest]
        # calls spread over the last 85 days, each rep's in turn
        conn.execute(
            "INSERT INTO sessions (user_id, company_id, status, scenario_id, mode, started_at,"
            " ended_at, minutes_billed, feedback_status)"
            " SELECT (%s::uuid[])[1 + g.i %% %s], %s, 'completed', 'inbound-lead', 'text',"
            "        t - interval '10 minutes', t, 1 + (random() * 14)::int, 'ready'"
            " FROM generate_series(1, %s) g(i),"
            "      LATERAL (SELECT now() - (%s - g.i) * interval '85 days' / %s AS t) w",
            (rep_ids, reps, company, calls, calls, calls))
        conn.execute(
            "INSERT INTO feedback (session_id, company_id, metrics, scored_by, rubric_version,"
            " score)"
            " SELECT s.id, s.company_id, m.metrics, 'local', 'bench',"
            "        least(5, greatest(1, round((2 + g.i::numeric / %s * 2 + random())::numeric,"
            "                                   2)))"
            " FROM (SELECT id, company_id, row_number() OVER (ORDER BY ended_at) AS i"
            "       FROM sessions WHERE company_id = %s) s"
            " CROSS JOIN LATERAL (SELECT s.i AS i) g"
            " CROSS JOIN LATERAL (SELECT " + _METRICS.format(
                skill=_SKILL.format(calls=calls)) + " AS metrics) m",
            (calls, company))
        conn.execute("ANALYZE sessions, feedback, users")
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('feedback')),"
                            " avg(pg_column_size(metrics))::int FROM feedback").fetchone()
    print(f"seeded {reps} reps + 1 admin, {calls} calls with feedback in "
          f"{time.perf_counter() - started:.1f} s; feedback table {size[0]}, "
          f"metrics {size[1]} bytes a report (stored)")
    admin = issue_access_token(JWT_SECRET, user_id=admin_id, company_id=company, role="admin",
                               lifetime_seconds=3600)
    return admin, rest[0][2]


def timed(client: httpx.Client, name: str, path: str, token: str, requests: int) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(WARM_UP):
        assert client.get(path, headers=headers).is_success
    took = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        took.append(time.perf_counter() - started)
        assert response.is_success, response.text[:300]
    p50, p95, p99 = (pct(took, q) for q in (50, 95, 99))
    print(f"{name:<34} | {p50:7.1f} | {p95:7.1f} | {p99:7.1f} | {len(response.content):>8}",
          flush=True)
    return p95


def explain(owner_url: URL) -> None:
    """EXPLAIN ANALYZE of the team view's one statement, for every rep of the company."""
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        company, users = conn.execute(text(
            "SELECT company_id, array_agg(id) FROM users WHERE company_id IS NOT NULL"
            " GROUP BY company_id")).one()
        stop = datetime.now(UTC) + timedelta(days=1)
        params = {"company_id": company, "user_ids": users, "start": stop - timedelta(days=91),
                  "stop": stop}
        # as the app's analytics transactions do
        conn.execute(text("SELECT set_config('jit', 'off', false),"
                          " set_config('work_mem', '32MB', false)"))
        statement = "EXPLAIN (ANALYZE, BUFFERS) " + repository._PER_USER.format(
            scope="s.user_id = ANY(:user_ids)")
        plan = [row[0] for row in conn.execute(text(statement), params)]
        times = [line.strip() for line in plan if "Execution Time" in line]
        print(f"EXPLAIN ANALYZE of the team view's statement (every rep): {times[0]}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    print(machine())
    with scratch_database() as (owner_url, workdir):
        server, base = start_serve(owner_url, workdir)
        try:
            admin, rep = seed(owner_url, args.reps, args.calls)
            print(f"\n{'request':<34} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | "
                  f"{'bytes':>8}")
            with httpx.Client(base_url=base, timeout=30) as client:
                team_p95 = timed(client, "GET /api/analytics/team?limit=100",
                                 "/api/analytics/team?limit=100", admin, args.requests)
                timed(client, "GET /api/analytics/team (20)", "/api/analytics/team", admin,
                      args.requests)
                timed(client, "GET /api/analytics/team?format=csv",
                      "/api/analytics/team?format=csv", admin, args.requests)
                timed(client, "GET /api/analytics/me", "/api/analytics/me", rep, args.requests)
                timed(client, "GET /api/analytics/leaderboard",
                      "/api/analytics/leaderboard", rep, args.requests)
        finally:
            server.stop()
        explain(owner_url)
        verdict = "meets" if team_p95 < TARGET_MS else "MISSES"
        print(f"\nteam view p95 {team_p95:.1f} ms: {verdict} the {TARGET_MS} ms target "
              "(the team view: a page of every rep)")


if __name__ == "__main__":
    main()
