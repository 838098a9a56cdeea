"""API throughput beside the bare driver: what the HTTP stack costs on top of its SQL.

Two operations, each driven by 64 concurrent clients (one keep-alive connection each) against a
`pitchlab serve` on a scratch database:

- ``GET /api/users/me``: the token check and the profile (one transaction: the tenant context,
  the user, the company);
- a call's start and end (``POST /api/sessions/start`` in text mode, then
  ``POST /api/sessions/{id}/end``): quota check, the session, its transcript, the first minute
  charged, the stream ticket; then the end, the usage row and the feedback job deferred.

Beside each, the baseline: the same statements (as PostgreSQL's ``log_statement = all`` shows the
app sending them) through psycopg in this one process, 64 tasks sharing as many connections as the
app's pool (10), printed as a ratio (API requests per second / bare transactions per second;
target >= 0.6). Also printed: the server's CPU per request (all its processes) and, with wrk on
PATH, ``GET /api/users/me`` measured by wrk (64 connections) as an outside check of the Python
load generator.

    uv run python benchmarks/api.py [--seconds 10] [--clients 64] [--workers 1] [--layers]

``--layers`` adds GET /api/users/me through benchmarks/thin_me.py (the same server, token check,
statements and response model, without the app's middlewares and ORM session; once on psycopg,
once on SQLAlchemy Core), each beside the bare run: where the milliseconds go, layer by layer.
``--workers N`` serves with ``pitchlab serve --workers N``. Everything (load generator, server,
PostgreSQL) shares this machine: read the ratio, which both sides pay alike, more than the
absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import psycopg
import uvloop
from harness import (
    APP_PASSWORD,
    cpu_seconds,
    free_port,
    libpq_dsn,
    machine,
    pct,
    scratch_database,
    seed_company,
    serve_env,
    start_process,
    start_serve,
)
from sqlalchemy import URL

APP_POOL_SIZE = 10  # the app's default PITCHLAB_DATABASE_POOL_SIZE
WARM_UP_SECONDS = 2.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, seconds: float) -> None:
        self.latencies.append(seconds)


@dataclass
class Member:
    user_id: uuid.UUID
    company_id: uuid.UUID
    token: str


# ----------------------------------------------------------------- the API, through HTTP


async def closed_loop(clients: int, seconds: float,
                      one: Callable[[int], Awaitable[int]]) -> tuple[Tally, float]:
    """``clients`` loops calling ``one(client)`` back to back; only what completes after the
    warm-up counts. Returns the tally and the measured wall time."""
    tally = Tally()
    measuring = asyncio.Event()
    stop = asyncio.Event()

    async def loop(client: int) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                requests = await one(client)
            except (httpx.HTTPError, AssertionError, psycopg.Error) as error:
                tally.errors += 1
                if tally.errors == 1:
                    print(f"first error: {error!r}"[:300], flush=True)
                continue
            if measuring.is_set():
                elapsed = (time.perf_counter() - started) / requests
                for _ in range(requests):
                    tally.add(elapsed)

    tasks = [asyncio.create_task(loop(client)) for client in range(clients)]
    await asyncio.sleep(WARM_UP_SECONDS)  # load shaping: the warm-up is not measured
    measuring.set()
    began = time.perf_counter()
    await asyncio.sleep(seconds)  # load shaping: the measured window
    stop.set()
    wall = time.perf_counter() - began
    await asyncio.gather(*tasks)
    return tally, wall


async def api_run(base: str, members: list[Member], clients: int, seconds: float, op: str,
                  server_pid: int) -> tuple[Tally, float, float]:
    http = [httpx.AsyncClient(base_url=base, timeout=60,
                              headers={"Authorization": f"Bearer {m.token}"},
                              limits=httpx.Limits(max_connections=1))
            for m in members[:clients]]

    async def me(client: int) -> int:
        response = await http[client].get("/api/users/me")
        assert response.status_code == 200, response.text
        return 1

    async def cycle(client: int) -> int:
        started = await http[client].post("/api/sessions/start", json={"mode": "text"})
        assert started.status_code == 201, started.text
        ended = await http[client].post(f"/api/sessions/{started.json()['id']}/end")
        assert ended.status_code == 200, ended.text
        return 2

    try:
        cpu_before = cpu_seconds(server_pid)
        tally, wall = await closed_loop(clients, seconds, me if op == "me" else cycle)
        cpu = cpu_seconds(server_pid) - cpu_before
    finally:
        await asyncio.gather(*(client.aclose() for client in http))
    return tally, wall, cpu


# ------------------------------------------------------ the same statements, bare driver

SET_CONTEXT = ("SELECT set_config('app.company_id', %s, true), set_config('app.context', %s,"
               " true), set_config('app.system_reason', %s, true)")
USER = ("SELECT users.id, users.email, users.hashed_password, users.name, users.role,"
        " users.company_id, users.api_keys, users.created_at, users.updated_at,"
        " users.email_verified_at, users.disabled_at, users.token_version, users.email_canonical"
        " FROM users WHERE users.id = %s::UUID")
COMPANY = ("SELECT companies.id, companies.name, companies.stripe_customer_id,"
           " companies.trial_expires_at, companies.retention_days,"
           " companies.leaderboard_enabled, companies.created_at, companies.updated_at"
           " FROM companies WHERE companies.id = %s::UUID")
SESSION_COLUMNS = ("sessions.id, sessions.user_id, sessions.company_id, sessions.started_at,"
                   " sessions.ended_at, sessions.status, sessions.scenario_id, sessions.mode,"
                   " sessions.minutes_billed, sessions.last_activity_at, sessions.end_reason,"
                   " sessions.feedback_status, sessions.feedback_error,"
                   " sessions.provider_conversation_id")
TRIAL_OPEN = ("SELECT EXISTS (SELECT * FROM companies WHERE companies.id = %s::UUID"
              " AND companies.trial_expires_at > %s::TIMESTAMP WITH TIME ZONE) AS anon_1")
HEADROOM = ("SELECT min(total_minutes - used_minutes), bool_or(user_id IS NULL) FROM"
            " minute_quotas WHERE company_id = %s AND (user_id IS NULL OR user_id = %s)")
IN_PROGRESS = (f"SELECT {SESSION_COLUMNS} FROM sessions WHERE sessions.user_id = %s::UUID"
               " AND sessions.status = %s::VARCHAR")
INSERT_SESSION = ("INSERT INTO sessions (user_id, company_id, ended_at, status, scenario_id,"
                  " mode, end_reason, feedback_status, feedback_error, provider_conversation_id)"
                  " VALUES (%s::UUID, %s::UUID, NULL, 'in_progress', 'discovery-busy-vp',"
                  " 'text', NULL, NULL, NULL, NULL) RETURNING sessions.id, sessions.started_at,"
                  " sessions.minutes_billed, sessions.last_activity_at")
INSERT_TRANSCRIPT = ("INSERT INTO transcripts (session_id, company_id, transcript_text, turns)"
                     " VALUES (%s::UUID, %s::UUID, '', '[]'::JSONB)"
                     " RETURNING transcripts.id, transcripts.created_at")
FIRST_MINUTE = ("UPDATE sessions SET minutes_billed = %s, last_activity_at = now()"
                " WHERE id = %s AND status = 'in_progress' AND minutes_billed = %s - 1"
                " RETURNING company_id, user_id")
CHARGE = """
    WITH quota AS (
        SELECT id, user_id, used_minutes, total_minutes FROM minute_quotas
        WHERE company_id = %(company)s AND (user_id IS NULL OR user_id = %(user)s)
        ORDER BY user_id NULLS FIRST
        FOR UPDATE
    ), verdict AS (
        SELECT bool_and(used_minutes + %(minutes)s <= total_minutes)
               AND bool_or(user_id IS NULL) AS fits
        FROM quota
    )
    UPDATE minute_quotas SET used_minutes = used_minutes + %(minutes)s, updated_at = now()
    WHERE id IN (SELECT id FROM quota) AND (SELECT fits FROM verdict)
    RETURNING user_id, used_minutes, total_minutes, period_start"""
SESSION_BY_ID = f"SELECT {SESSION_COLUMNS} FROM sessions WHERE sessions.id = %s::UUID"
INSERT_TICKET = ("INSERT INTO stream_tickets (session_id, user_id, token_hash, expires_at,"
                 " used_at) VALUES (%s::UUID, %s::UUID, %s, %s, NULL)"
                 " RETURNING stream_tickets.id, stream_tickets.created_at")
LOCK_SESSION = (f"SELECT {SESSION_COLUMNS} FROM sessions WHERE sessions.id = %s::UUID"
                " AND sessions.user_id = %s::UUID FOR UPDATE")
END_SESSION = ("UPDATE sessions SET ended_at=%s, status='completed', end_reason='ended_by_user',"
               " feedback_status='pending' WHERE sessions.id = %s::UUID")
USAGE = ("INSERT INTO usage_records (user_id, session_id, company_id, minutes_used)"
         " VALUES (%s, %s, %s, %s) ON CONFLICT (session_id) DO NOTHING")
LOCK_TRANSCRIPT = ("SELECT transcripts.id, transcripts.session_id, transcripts.company_id,"
                   " transcripts.transcript_text, transcripts.turns, transcripts.created_at"
                   " FROM transcripts WHERE transcripts.session_id = %s::UUID FOR UPDATE")
DEFER = ("SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(%s, %s, 0, NULL, %s,"
         " CAST(%s AS jsonb), NULL)::procrastinate_job_to_defer_v1]))")


async def bare_me(conn: psycopg.AsyncConnection, member: Member) -> None:
    async with conn.transaction():
        await conn.execute(SET_CONTEXT, (str(member.company_id), "", ""))
        await (await conn.execute(USER, (member.user_id,))).fetchone()
        await (await conn.execute(COMPANY, (member.company_id,))).fetchone()


async def bare_start(conn: psycopg.AsyncConnection, m: Member) -> uuid.UUID:
    tenant = (str(m.company_id), "", "")
    async with conn.transaction():
        await conn.execute(SET_CONTEXT, tenant)
        await (await conn.execute(USER, (m.user_id,))).fetchone()
        await (await conn.execute(TRIAL_OPEN, (m.company_id, datetime.now(UTC)))).fetchone()
        await (await conn.execute(HEADROOM, (m.company_id, m.user_id))).fetchone()
        await (await conn.execute(IN_PROGRESS, (m.user_id, "in_progress"))).fetchall()
        async with conn.transaction():  # the app's savepoint around the insert
            await conn.execute(SET_CONTEXT, tenant)
            row = await (await conn.execute(INSERT_SESSION, (m.user_id, m.company_id))).fetchone()
        session_id = row[0]
        await conn.execute(INSERT_TRANSCRIPT, (session_id, m.company_id))
        await conn.execute(FIRST_MINUTE, (1, session_id, 1))
        await conn.execute(CHARGE, {"company": m.company_id, "user": m.user_id, "minutes": 1})
        await (await conn.execute(SESSION_BY_ID, (session_id,))).fetchone()
        await conn.execute(SET_CONTEXT, ("", "system", "stream_ticket"))
        await conn.execute(INSERT_TICKET, (session_id, m.user_id, uuid.uuid4().hex * 2,
                                           datetime.now(UTC) + timedelta(minutes=1)))
        await conn.execute(SET_CONTEXT, tenant)
        await conn.execute(SET_CONTEXT, tenant)
        await (await conn.execute(HEADROOM, (m.company_id, m.user_id))).fetchone()
    return session_id


async def bare_end(conn: psycopg.AsyncConnection, m: Member, session_id: uuid.UUID) -> None:
    now = datetime.now(UTC)
    async with conn.transaction():
        await conn.execute(SET_CONTEXT, (str(m.company_id), "", ""))
        await (await conn.execute(USER, (m.user_id,))).fetchone()
        await (await conn.execute(LOCK_SESSION, (session_id, m.user_id))).fetchone()
        await (await conn.execute(SESSION_BY_ID, (session_id,))).fetchone()
        await conn.execute(END_SESSION, (now, session_id))
        await conn.execute(USAGE, (m.user_id, session_id, m.company_id, 1))
        await (await conn.execute(LOCK_TRANSCRIPT, (session_id,))).fetchone()
        args = orjson.dumps({"user_id": str(m.user_id), "session_id": str(session_id),
                             "company_id": str(m.company_id), "minutes_billed": 1,
                             "ended_at": now.isoformat()}).decode()
        await (await conn.execute(DEFER, ("bench", "bench_feedback", None, args))).fetchall()


async def bare_run(app_url: URL, members: list[Member], clients: int, seconds: float,
                   op: str) -> tuple[Tally, float]:
    pool: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
    connections = [await psycopg.AsyncConnection.connect(libpq_dsn(app_url), autocommit=True)
                   for _ in range(APP_POOL_SIZE)]
    for conn in connections:
        pool.put_nowait(conn)

    async def with_connection(work: Callable[[psycopg.AsyncConnection], Awaitable[None]]) -> None:
        conn = await pool.get()
        try:
            await work(conn)
        finally:
            pool.put_nowait(conn)
        # Let the task waiting longest take it: without this yield the releasing task, still
        # running, takes the connection straight back and others starve (p99 of seconds).
        await asyncio.sleep(0)

    async def me(client: int) -> int:
        await with_connection(lambda conn: bare_me(conn, members[client]))
        return 1

    async def cycle(client: int) -> int:
        started: list[uuid.UUID] = []

        async def start(conn: psycopg.AsyncConnection) -> None:
            started.append(await bare_start(conn, members[client]))

        await with_connection(start)  # two transactions, as the API's two requests
        await with_connection(lambda conn: bare_end(conn, members[client], started[0]))
        return 2

    try:
        return await closed_loop(clients, seconds, me if op == "me" else cycle)
    finally:
        for conn in connections:
            await conn.close()


# ------------------------------------------------------------------------- reporting


def wrk_me(base: str, token: str, seconds: float, clients: int) -> str | None:
    """wrk's own figures for GET /api/users/me, when wrk is installed."""
    if shutil.which("wrk") is None:
        return None
    script = Path(tempfile.mkdtemp()) / "auth.lua"
    script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency",
                          "-s", str(script), f"{base}/api/users/me"],
                         capture_output=True, text=True, check=False).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not (rate and p50 and p99):
        return f"wrk said: {out.strip()[:300]}"
    return (f"wrk -c{clients} GET /api/users/me: {float(rate.group(1)):.0f} req/s, "
            f"p50 {p50.group(1)}, p99 {p99.group(1)}"
            + (f", {non2xx.group(1)} non-2xx" if non2xx else ""))


def line(name: str, api: Tally, api_wall: float, cpu: float, bare: Tally,
         bare_wall: float) -> str:
    api_rate = len(api.latencies) / api_wall
    bare_rate = len(bare.latencies) / bare_wall
    cpu_ms = cpu / max(1, len(api.latencies)) * 1000  # warm-up requests are few; an upper bound
    return (f"{name:<22} | {api_rate:>7.0f} | {pct(api.latencies, 50):>6.1f} | "
            f"{pct(api.latencies, 99):>7.1f} | {cpu_ms:>6.2f} | {api.errors:>4} || "
            f"{bare_rate:>7.0f} | {pct(bare.latencies, 50):>6.1f} | "
            f"{pct(bare.latencies, 99):>7.1f} || {api_rate / bare_rate:>5.2f}")


async def measure(args, base: str, app_url: URL, members: list[Member],
                  server_pid: int) -> Tally:
    """The table; returns the bare driver's GET /api/users/me run (the layers' baseline)."""
    print(f"{args.clients} clients, {WARM_UP_SECONDS:.0f} s warm-up + {args.seconds:.0f} s "
          f"measured per run; server: pitchlab serve --workers {args.workers}; baseline: psycopg, "
          f"{APP_POOL_SIZE} connections, one process\n")
    print(f"{'operation':<22} | {'API r/s':>7} | {'p50 ms':>6} | {'p99 ms':>7} | {'CPU ms':>6} |"
          f" {'errs':>4} || {'bare /s':>7} | {'p50 ms':>6} | {'p99 ms':>7} || ratio")
    bare_me_run: tuple[Tally, float] | None = None
    for op, name in (("me", "GET /api/users/me"), ("cycle", "start + end (per request)")):
        api, api_wall, cpu = await api_run(base, members, args.clients, args.seconds, op,
                                           server_pid)
        bare, bare_wall = await bare_run(app_url, members, args.clients, args.seconds, op)
        print(line(name, api, api_wall, cpu, bare, bare_wall), flush=True)
        bare_me_run = bare_me_run or (bare, bare_wall)
    assert bare_me_run is not None
    return bare_me_run


def layers(args, owner_url: URL, workdir: Path, members: list[Member],
           bare: tuple[Tally, float]) -> None:
    """GET /api/users/me through benchmarks/thin_me.py (same server, token check, statements and
    response model; no middlewares, no ORM session): what each layer between the bare driver and
    the app costs."""
    print("\nlayers of GET /api/users/me (benchmarks/thin_me.py), each beside the bare run above:")
    for db, name in (("psycopg", "FastAPI + psycopg"), ("core", "FastAPI + SQLAlchemy Core")):
        port = free_port()
        thin = start_process([sys.executable, "benchmarks/thin_me.py", "--port", str(port),
                              "--db", db], serve_env(owner_url, workdir, port),
                             ready_url=f"http://127.0.0.1:{port}/docs")
        try:
            api, wall, cpu = uvloop.run(api_run(f"http://127.0.0.1:{port}", members,
                                                args.clients, args.seconds, "me", thin.pid))
        finally:
            thin.stop()
        print(line(name, api, wall, cpu, *bare), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per run")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="pitchlab serve --workers N")
    parser.add_argument("--layers", action="store_true",
                        help="also GET /api/users/me through benchmarks/thin_me.py")
    args = parser.parse_args()
    print(machine())
    with scratch_database() as (owner_url, workdir):
        extra = ("--workers", str(args.workers)) if args.workers > 1 else ()
        server, base = start_serve(owner_url, workdir, extra_args=extra)
        try:
            seeded = seed_company(owner_url, args.clients)
            with psycopg.connect(libpq_dsn(owner_url)) as conn:
                company = conn.execute("SELECT company_id FROM users WHERE id = %s",
                                       (seeded[0][0],)).fetchone()[0]
            members = [Member(user, company, token) for user, _, token in seeded]
            app_url = owner_url.set(username="pitchlab_app", password=APP_PASSWORD)
            bare = uvloop.run(measure(args, base, app_url, members, server.pid))
            outside = wrk_me(base, members[0].token, args.seconds, args.clients)
            if outside:
                print(outside)
        finally:
            server.stop()
        if args.layers:
            layers(args, owner_url, workdir, members, bare)


if __name__ == "__main__":
    main()
