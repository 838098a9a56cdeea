"""Soak: twenty reps keep text calls going against one ``pitchlab serve`` (its in-process worker
writing every call's feedback) for ``PITCHLAB_SOAK_SECONDS`` (600 by default), while the server's
memory, sockets, files, database connections and ``/healthz`` latency are sampled every window.

After the warm-up, none of them may grow: a leak of memory, sockets or connections per call or
per request would, over hundreds of calls and thousands of requests. Every ended call gets its
feedback exactly once, none is left in progress, and the server logs no traceback.

Behind the ``soak`` marker; the command is in the README (Tests). Run with ``-s`` to see the
table of samples, whose figures go into the closing note.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL
from websockets.asyncio.client import connect

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import invited_member, token_from_link
from tests.load.cluster import Api, cluster_env, eventually, start_api
from tests.practice.helpers import INIT, closed_with, recv, ws_url
from tests.soak.gauges import (
    MIB,
    HealthzProbe,
    Sample,
    database_connections,
    resources,
    table,
)

pytestmark = pytest.mark.soak

REPS = 20
PASSWORD = "a long passphrase"
SCENARIO = "discovery-busy-vp"
TURN_EVERY = (2.0, 5.0)  # seconds between a rep's turns
ANSWER_WITHIN = 30.0  # seconds for the prospect's answer, the end, the close
FEEDBACK_WITHIN = 120.0  # seconds for the worker to catch up once the load stops

# Bounds. Memory: a server settles at some 100-200 MiB, and its allocator keeps a few MiB of
# slack that comes and goes. Over a full run's post-warm-up 480 s the load makes about 200
# calls, 2,500 turns and 10,000 /healthz requests: leaking 32 MiB takes only 160 KiB per call,
# 13 KiB per turn or 3 KiB per request, far less than a call's state (its transcript, its
# recorder, its stream's buffers) or a request's (scope, headers, response).
RSS_GROWTH_FRACTION, RSS_GROWTH_FLOOR = 0.10, 32 * MIB
# /healthz: every window's p99 within 3x the first post-warm-up window's, plus 20 ms that a
# shared machine's scheduler may take from any one window.
HEALTHZ_P99_FACTOR, HEALTHZ_P99_SLACK_MS = 3.0, 20.0
# Connections: the app's SQLAlchemy pool (PITCHLAB_DATABASE_POOL_SIZE, 10, and as many again
# in overflow), the job queue's pool (4) and its LISTEN connection; nothing else connects.
DATABASE_POOL_SIZE = 10
DB_CONNECTIONS_BOUND = 2 * DATABASE_POOL_SIZE + 4 + 1
# Each rep holds at most its HTTP connection and its call's WebSocket; the probe one more; the
# listening socket one.
CLIENT_SOCKETS = 2 * REPS + 1 + 1


@dataclass(frozen=True)
class Plan:
    """The run's times, all scaled from its length so that a short run (development) still has
    a warm-up, several windows after it and calls that end within it."""

    seconds: float

    @classmethod
    def from_env(cls) -> Plan:
        return cls(float(os.environ.get("PITCHLAB_SOAK_SECONDS", "600")))

    @property
    def warm_up(self) -> float:
        """The first ~20% of the run, at least a minute of a full one (half of a short one)."""
        return max(0.2 * self.seconds, min(60.0, 0.5 * self.seconds))

    @property
    def window(self) -> float:
        return min(10.0, self.seconds / 12)

    @property
    def refresh_after(self) -> float:
        """Access tokens live 15 minutes: a rep refreshes its tokens before a call once they are
        this old (10 minutes; sooner in a short run, so that every run refreshes some)."""
        return min(600.0, self.seconds / 3)

    def call_length(self) -> float:
        """30-60 s in a full run; a short run's calls shrink to a quarter of it at most."""
        longest = min(60.0, self.seconds / 4)
        return random.uniform(longest / 2, longest)


@dataclass
class Rep:
    email: str
    http: httpx.AsyncClient  # its base URL is the server's; its own forwarded address
    tokens: dict
    signed_in_at: float = field(default_factory=time.monotonic)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def fresh_token(self, older_than: float) -> bool:
        """Refresh the tokens if they are ``older_than`` seconds; True if it did."""
        if time.monotonic() - self.signed_in_at < older_than:
            return False
        refreshed = await self.http.post("/api/auth/refresh",
                                         json={"refresh_token": self.tokens["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        self.tokens, self.signed_in_at = refreshed.json(), time.monotonic()
        return True


@dataclass
class Tally:
    ended: list[str] = field(default_factory=list)  # session ids whose end answered 200
    turns: int = 0
    refreshes: int = 0


async def query(owner_url: URL, sql: str, *params) -> list[tuple]:
    async with await psycopg.AsyncConnection.connect(libpq_dsn(owner_url),
                                                     autocommit=True) as conn:
        return await (await conn.execute(sql, params)).fetchall()


def client_of(api: Api, address: str) -> httpx.AsyncClient:
    """One user's HTTP client; its forwarded address keeps the per-address sign-up limits
    (20 an hour) from counting every rep as one. It lets an idle connection go after 2 s, well
    before the server does (uvicorn: 5 s, httpx's default too): reusing one that the server is
    closing at that very moment would fail a request for no fault of the server's."""
    return httpx.AsyncClient(base_url=api.base_url, timeout=ANSWER_WITHIN,
                             limits=httpx.Limits(keepalive_expiry=2.0),
                             headers={"X-Forwarded-For": address})


# --- accounts ------------------------------------------------------------------------------

async def sign_up_admin(api: Api, owner_url: URL) -> str:
    """The company's admin, signed up over HTTP and verified through the emailed link, which
    the in-process worker delivers. Returns the email."""
    email = f"soak-admin-{os.getpid()}@example.com"
    async with client_of(api, "10.77.0.1") as http:
        registered = await http.post("/api/auth/register", json={
            "email": email, "password": PASSWORD, "name": "Sam Admin", "company_name": "Soak"})
        assert registered.status_code == 202, registered.text

        async def delivered_link() -> str | None:
            rows = await query(owner_url, "SELECT links FROM email_outbox WHERE to_address = %s"
                               " AND kind = 'verify_email' AND status = 'sent'", email)
            return rows[0][0][0] if rows else None

        link = await eventually(delivered_link, within=ANSWER_WITHIN, what="the verify link")
        verified = await http.get("/api/auth/verify-email",
                                  params={"token": token_from_link(link)})
        assert verified.status_code == 200, verified.text
    return email


async def join_reps(api: Api, owner_url: URL, admin_email: str) -> list[Rep]:
    """Twenty reps invited into the admin's company, each signed up with its invitation and
    signed in over HTTP (tests/auth/helpers.py)."""
    reps = []
    for index in range(REPS):
        http = client_of(api, f"10.77.1.{index + 1}")
        tokens = await invited_member(http, owner_url, admin_email, voice_consent=False)
        reps.append(Rep(tokens["email"], http, tokens))
    return reps


# --- the load --------------------------------------------------------------------------------

async def keep_calling(rep: Rep, api: Api, plan: Plan, until: float, tally: Tally) -> None:
    """One rep's calls, back to back, until the run is over."""
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        if await rep.fresh_token(older_than=plan.refresh_after):
            tally.refreshes += 1
        try:
            await one_call(rep, api, min(loop.time() + plan.call_length(), until), tally)
        except httpx.TransportError as error:  # say which request, at what time of the run
            raise AssertionError(f"{rep.email}: {type(error).__name__} {error} on"
                                 f" {error.request.method} {error.request.url.path}"
                                 f" at {loop.time() - until + plan.seconds:.1f} s") from error


async def one_call(rep: Rep, api: Api, ends_at: float, tally: Tally) -> None:
    """Start a text call, say a line every few seconds over its WebSocket (each answered by the
    offline prospect) until ``ends_at``, then end it; the server closes the stream."""
    loop = asyncio.get_running_loop()
    started = await rep.http.post("/api/sessions/start", headers=rep.auth,
                                  json={"scenario_id": SCENARIO, "mode": "text"})
    assert started.status_code == 201, started.text
    session = started.json()
    async with websocket(api.base_url, session) as ws:
        await ws.send(json.dumps(INIT))
        await recv(ws, "agent_response", within=ANSWER_WITHIN)  # the prospect's opening line
        turn = 0
        while (next_turn := loop.time() + random.uniform(*TURN_EVERY)) < ends_at:
            await asyncio.sleep(next_turn - loop.time())  # the rep's pace
            turn += 1
            await ws.send(json.dumps({"type": "user_message",
                                      "text": f"Turn {turn}: what slows your team down?"}))
            await recv(ws, "agent_response", limit=50, within=ANSWER_WITHIN)
            tally.turns += 1
        await asyncio.sleep(max(0.0, ends_at - loop.time()))  # the call's length
        ended = await rep.http.post(f"/api/sessions/{session['id']}/end", headers=rep.auth)
        assert ended.status_code == 200, ended.text
        assert ended.json()["status"] == "completed", ended.text
        tally.ended.append(session["id"])
        assert await closed_with(ws, within=ANSWER_WITHIN) == 1000


def websocket(base_url: str, session: dict) -> connect:
    return connect(ws_url(base_url, session), open_timeout=ANSWER_WITHIN)


async def sample_every(plan: Plan, pid: int, probe: HealthzProbe, owner_url: URL,
                       began: float, until: float, tally: Tally, samples: list[Sample]) -> None:
    """A sample at the end of every window until the run is over."""
    loop = asyncio.get_running_loop()
    async with await psycopg.AsyncConnection.connect(libpq_dsn(owner_url),
                                                     autocommit=True) as conn:
        next_at = began + plan.window
        while next_at <= until + 0.5:
            await asyncio.sleep(max(0.0, next_at - loop.time()))  # the sampling clock
            rss, fds, tcp, cpu = await asyncio.to_thread(resources, pid)
            latencies, failures = probe.take()
            samples.append(Sample(
                at=loop.time() - began, rss=rss, fds=fds, tcp=tcp,
                db=await database_connections(conn), healthz=latencies,
                failed_probes=failures, calls=len(tally.ended), cpu=cpu))
            next_at += plan.window


async def run_load(api: Api, reps: list[Rep], plan: Plan, owner_url: URL,
                   tally: Tally) -> list[Sample]:
    loop = asyncio.get_running_loop()
    samples: list[Sample] = []
    began = loop.time()
    until = began + plan.seconds
    with HealthzProbe(api.base_url) as probe:
        try:
            async with asyncio.TaskGroup() as load:
                for rep in reps:
                    load.create_task(keep_calling(rep, api, plan, until, tally))
                load.create_task(sample_every(plan, api.process.popen.pid, probe, owner_url,
                                              began, until, tally, samples))
        finally:
            print(f"\nsoak: {REPS} reps, {plan.seconds:.0f} s, warm-up {plan.warm_up:.0f} s,"
                  f" windows of {plan.window:.0f} s; {len(tally.ended)} calls ended,"
                  f" {tally.turns} turns, {tally.refreshes} token refreshes\n"
                  + table(samples, plan.warm_up))
    return samples


# --- the checks ------------------------------------------------------------------------------

def check_flat(samples: list[Sample], plan: Plan, idle_fds: int) -> None:
    after = [s for s in samples if s.at > plan.warm_up]
    warmed = max((s for s in samples if s.at <= plan.warm_up), key=lambda s: s.at)
    assert len(after) >= 3, f"too few windows after the warm-up: {len(after)}"
    assert all(s.healthz for s in after), "a window without one /healthz answer"

    growth = after[-1].rss - warmed.rss
    allowed = max(RSS_GROWTH_FRACTION * warmed.rss, RSS_GROWTH_FLOOR)
    tcp_bound = CLIENT_SOCKETS + DB_CONNECTIONS_BOUND
    # the files open at rest, plus one for each socket the load may hold on top of them
    fds_bound = idle_fds + CLIENT_SOCKETS + DB_CONNECTIONS_BOUND
    reference = after[0].healthz_ms(99)
    p99_bound = HEALTHZ_P99_FACTOR * reference + HEALTHZ_P99_SLACK_MS
    p99s = [round(s.healthz_ms(99), 1) for s in after]
    print(f"after the warm-up: RSS {warmed.rss / MIB:.1f} -> {after[-1].rss / MIB:.1f} MiB"
          f" ({growth / MIB:+.1f}, bound +{allowed / MIB:.1f}); max db conns"
          f" {max(s.db for s in after)} (bound {DB_CONNECTIONS_BOUND}), tcp"
          f" {max(s.tcp for s in after)} (bound {tcp_bound}), fds {max(s.fds for s in after)}"
          f" (bound {fds_bound}); /healthz p99 max {max(p99s)} ms (bound {p99_bound:.1f});"
          f" failed probes {sum(len(s.failed_probes) for s in samples)}")

    assert growth <= allowed, (
        f"RSS grew {growth / MIB:.1f} MiB after the warm-up (allowed {allowed / MIB:.1f})")
    assert max(s.db for s in after) <= DB_CONNECTIONS_BOUND, [s.db for s in after]
    assert max(s.tcp for s in after) <= tcp_bound, [s.tcp for s in after]
    assert max(s.fds for s in after) <= fds_bound, ([s.fds for s in after], fds_bound)
    assert [f for s in samples for f in s.failed_probes] == []
    assert max(p99s) <= p99_bound, f"/healthz p99 per window {p99s}, bound {p99_bound:.1f} ms"


async def check_calls(owner_url: URL, tally: Tally) -> None:
    ended = tally.ended
    assert len(ended) == len(set(ended)) and ended

    async def all_ready() -> bool:
        rows = await query(owner_url, "SELECT count(*) FROM sessions"
                           " WHERE feedback_status = 'ready'")
        return rows[0][0] == len(ended)

    await eventually(all_ready, within=FEEDBACK_WITHIN, every=0.5, what="every call's feedback")
    statuses = Counter(status for (status,) in await query(
        owner_url, "SELECT status FROM sessions"))
    assert statuses == {"completed": len(ended)}, statuses  # none left in progress
    feedback = Counter(str(sid) for (sid,) in await query(
        owner_url, "SELECT session_id FROM feedback"))
    assert feedback == Counter(ended)
    jobs = Counter((args["session_id"], status) for args, status in await query(
        owner_url, "SELECT args, status::text FROM procrastinate_jobs"
        " WHERE task_name = 'generate_feedback'"))
    assert jobs == Counter((sid, "succeeded") for sid in ended), jobs


# --- the test ----------------------------------------------------------------------------------

async def test_twenty_text_calls_keep_the_server_flat(soak_db, tmp_path: Path):
    plan = Plan.from_env()
    env = cluster_env(soak_db, tmp_path / "data", redis_url="",
                      PITCHLAB_TRIAL_MINUTES="1000000",  # a big quota: no call is ever refused
                      PITCHLAB_DATABASE_POOL_SIZE=str(DATABASE_POOL_SIZE),
                      PITCHLAB_TRUSTED_PROXIES="127.0.0.1")
    # one `pitchlab serve` as it runs by default: its worker in-process, no Redis
    del env["PITCHLAB_RUN_WORKER_IN_PROCESS"], env["PITCHLAB_REDIS_URL"]
    api = await asyncio.to_thread(start_api, "serve", env, tmp_path)
    tally = Tally()
    reps: list[Rep] = []
    try:
        admin = await sign_up_admin(api, soak_db)
        reps = await join_reps(api, soak_db, admin)
        _, idle_fds, _, _ = resources(api.process.popen.pid)
        samples = await run_load(api, reps, plan, soak_db, tally)
        await check_calls(soak_db, tally)  # first: a noisy window must not hide a lost call
        check_flat(samples, plan, idle_fds)
        assert api.process.popen.poll() is None, "".join(api.process.log)
    finally:
        for rep in reps:
            with contextlib.suppress(Exception):
                await rep.http.aclose()
        await asyncio.to_thread(api.process.stop)
    assert not api.process.tracebacks(), api.process.tracebacks()
