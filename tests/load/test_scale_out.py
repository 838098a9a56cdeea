"""Scale-out: two ``pitchlab serve`` processes and one ``pitchlab worker`` on one database and
one Redis, under concurrent load through both APIs, one API killed (SIGKILL) midway.

Each simulated user signs up through the emailed link (the worker delivers it), some buy a
top-up or a subscription (every Stripe delivery sent to both APIs at once), then practises text
calls until the trial's minutes run out; a call is started, and every call ended, through both
APIs at once. Half the
users are served by the API that is killed; a quarter of them have a call live on it when it
dies, and end it through the other. Afterwards the database must hold every acknowledged
write, minutes must add up, every call must have exactly one feedback and every Stripe event
exactly one effect. Failed logins are counted across both APIs (Redis).

Default run: a small load (``SMALL``). ``-m load``: a larger one (``LARGE``), see README.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import token_from_link
from tests.billing.stripe_flows import session_id_of
from tests.fakes.stripe_server import FakeStripe, running_fake_stripe
from tests.load.cluster import Api, cluster_env, eventually, running_cluster

STRIPE_API_KEY = "sk_test_scale_out_0nlyTheFakeKnows"
STRIPE_WEBHOOK_SECRET = "whsec_scale_out_5ecret"
PASSWORD = "a long passphrase"
TRIAL_MINUTES = 2  # each short call bills one minute: the third call of a trial is refused
TOP_UP = ("minutes-100", 100)


@dataclass(frozen=True)
class Load:
    users: int
    calls_per_user: int  # attempts; trial users get TRIAL_MINUTES of them
    turns_per_call: int


SMALL = Load(users=8, calls_per_user=3, turns_per_call=2)
LARGE = Load(users=48, calls_per_user=4, turns_per_call=4)
DEADLINE = 90.0  # seconds for the worker to catch up (emails, webhooks, feedback)
RETRYABLE = (httpx.TransportError,)


@dataclass
class Acks:
    """What the APIs acknowledged (a 2xx), which the database must hold afterwards."""

    signups: set[str] = field(default_factory=set)
    starts: dict[str, str] = field(default_factory=dict)  # session id -> email
    turns: set[tuple[str, str]] = field(default_factory=set)  # (session id, text)
    ends: set[str] = field(default_factory=set)
    refused_for_quota: Counter[str] = field(default_factory=Counter)  # email -> 402s
    purchases: dict[str, str] = field(default_factory=dict)  # email -> "top_up"|"subscription"
    events: list[str] = field(default_factory=list)  # Stripe event ids delivered
    failovers: int = 0


class Client:
    """One user's HTTP client: its own API first, the other once its own stops answering (what
    a load balancer does when a backend dies). Only transport failures move it over."""

    def __init__(self, http: httpx.AsyncClient, apis: list[Api], acks: Acks, ip: str) -> None:
        self.http, self.apis, self.acks = http, apis, acks
        self.headers = {"X-Forwarded-For": ip}

    async def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        for api in list(self.apis):
            try:
                return await self.http.request(method, api.base_url + path, headers=headers,
                                               **kwargs)
            except RETRYABLE:
                if self.apis[0] is api and len(self.apis) > 1:
                    self.apis.remove(api)
                    self.acks.failovers += 1
        raise AssertionError("no API answered")


class Scenario:
    def __init__(self, load: Load, a: Api, b: Api, fake: FakeStripe, owner_url,
                 run: str) -> None:
        self.load, self.a, self.b, self.fake, self.owner_url = load, a, b, fake, owner_url
        self.run = run
        self.acks = Acks()
        self.stranded = [i for i in range(load.users) if i % 4 == 0]  # live on A when it dies
        self.stranded_ready = asyncio.Event()
        # Stripe delivers each event to both APIs: the purchases are over before A is killed
        self.buyers = [i for i in range(load.users) if i % 4 == 1 or i % 8 == 3]
        self.bought = 0
        self.all_bought = asyncio.Event()
        self.waiting = 0
        self.killed = asyncio.Event()
        self.http = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200))

    async def db(self, query: str, *params) -> list[tuple]:
        async with await psycopg.AsyncConnection.connect(
            libpq_dsn(self.owner_url), autocommit=True
        ) as conn:
            return await (await conn.execute(query, params)).fetchall()

    # --- one user --------------------------------------------------------------------------

    async def user(self, i: int) -> None:
        home, other = (self.a, self.b) if i % 2 == 0 else (self.b, self.a)
        client = Client(self.http, [home, other], self.acks,
                        ip=f"10.{int(self.run[:2], 16)}.{i // 200}.{i % 200 + 1}")
        email = f"scale-{self.run}-{i}@example.com"
        tokens = await self.sign_up(client, email)
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        if i in self.buyers:
            await self.purchase(client, auth, email, "top_up" if i % 4 == 1 else "subscription")
            self.bought += 1
            if self.bought == len(self.buyers):
                self.all_bought.set()
        for call in range(self.load.calls_per_user):
            await self.call(client, auth, email, i, call)

    async def sign_up(self, client: Client, email: str) -> dict:
        registered = await client.request("POST", "/api/auth/register", json={
            "email": email, "password": PASSWORD, "name": "Riley Rep", "company_name": "Acme"})
        assert registered.status_code == 202, registered.text
        self.acks.signups.add(email)

        async def delivered_link() -> str | None:  # the worker sent it (the offline outbox)
            rows = await self.db(
                "SELECT links FROM email_outbox WHERE to_address = %s AND kind = 'verify_email'"
                " AND status = 'sent' ORDER BY created_at DESC", email)
            return rows[0][0][0] if rows else None

        link = await eventually(delivered_link, within=DEADLINE, what=f"{email}'s link")
        verified = await client.request("GET", "/api/auth/verify-email",
                                        params={"token": token_from_link(link)})
        assert verified.status_code == 200, verified.text
        login = await client.request("POST", "/api/auth/login",
                                     json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return login.json()

    async def purchase(self, client: Client, auth: dict, email: str, kind: str) -> None:
        if kind == "top_up":
            bought = await client.request("POST", "/api/billing/top-ups", headers=auth,
                                          json={"pack_id": TOP_UP[0]})
        else:
            bought = await client.request("POST", "/api/subscriptions/subscribe", headers=auth,
                                          json={"plan_id": "starter"})
        assert bought.status_code == 200, bought.text
        # the customer pays; no await in between, so these are this checkout's events only
        self.fake.complete_checkout(session_id_of(bought.json()["checkout_url"]))
        events = self.fake.take_events()
        assert events
        for event in events:  # in order, each one to both APIs at once
            body, headers = self.fake.signed(event)
            answers = await asyncio.gather(*(
                self.http.post(api.base_url + "/api/webhooks/stripe", content=body,
                               headers=headers) for api in (self.a, self.b)))
            assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
            self.acks.events.append(event["id"])
        self.acks.purchases[email] = kind

        async def granted() -> bool:  # the worker handled them: the minutes are there
            rows = await self.db(
                "SELECT count(*) FROM minute_grants g JOIN users u USING (company_id)"
                " WHERE u.email = %s", email)
            return rows[0][0] >= 1

        await eventually(granted, within=DEADLINE, what=f"{email}'s {kind} minutes")

    async def call(self, client: Client, auth: dict, email: str, i: int, n: int) -> None:
        # the second call is started through both APIs at once (a double click): one call
        twice = 2 if n == 1 else 1
        answers = await asyncio.gather(*(
            client.request("POST", "/api/sessions/start", headers=auth,
                           json={"scenario_id": "discovery-busy-vp", "mode": "text"})
            for _ in range(twice)))
        codes = sorted(r.status_code for r in answers)
        created = [r for r in answers if r.status_code == 201]
        assert len(created) <= 1 and set(codes) <= {201, 402, 409}, [r.text for r in answers]
        if created:
            sid = created[0].json()["id"]
        elif 409 in codes:  # a start whose answer was lost as its API died
            sid = await self.live_call(client, auth)
        else:
            assert {r.json()["error"]["code"] for r in answers} == {"quota_exhausted"}
            self.acks.refused_for_quota[email] += 1
            return
        self.acks.starts[sid] = email
        for turn in range(self.load.turns_per_call):
            text = f"Turn {turn} of call {n} by user {i}: what slows your team down?"
            said = await client.request("POST", f"/api/sessions/{sid}/stream", headers=auth,
                                        json={"text": text})
            assert said.status_code == 200, said.text
            assert any(json.loads(line).get("type") == "agent_response"
                       for line in said.text.splitlines() if line.strip()), said.text
            self.acks.turns.add((sid, text))
            if i in self.stranded and n == 0 and turn == 0:
                await self.strand()
        # the end sent to both APIs at once (a client retrying through the balancer)
        ends = await asyncio.gather(*(
            client.request("POST", f"/api/sessions/{sid}/end", headers=auth)
            for _ in range(2)))
        assert all(r.status_code == 200 for r in ends), [r.text for r in ends]
        assert {r.json()["status"] for r in ends} == {"completed"}
        self.acks.ends.add(sid)

    async def live_call(self, client: Client, auth: dict) -> str:
        listed = await client.request("GET", "/api/sessions", headers=auth)
        assert listed.status_code == 200, listed.text
        [live] = [s["id"] for s in listed.json()["items"] if s["status"] == "in_progress"]
        return live

    async def strand(self) -> None:
        """Wait, with this call live on API A, until A has been killed."""
        self.waiting += 1
        if self.waiting == len(self.stranded):
            self.stranded_ready.set()
        await self.killed.wait()

    async def kill_a_midway(self) -> None:
        await self.stranded_ready.wait()
        await self.all_bought.wait()
        self.a.process.kill()
        self.killed.set()

    # --- the whole load ----------------------------------------------------------------------

    async def run_load(self) -> None:
        if not self.buyers:
            self.all_bought.set()
        async with asyncio.timeout(DEADLINE * 3):
            killer = asyncio.create_task(self.kill_a_midway())
            await asyncio.gather(*(self.user(i) for i in range(self.load.users)))
            await killer


async def check_login_limit_is_shared(http: httpx.AsyncClient, a: Api, b: Api, run: str) -> None:
    """Failed logins for one (email, address) trip the limit at 5 in all, whichever API counted
    them: alternately sent, the sixth is refused by both."""
    email, ip = f"guess-{run}@example.com", f"10.250.{int(run[2:4], 16)}.1"
    headers = {"X-Forwarded-For": ip}
    for api in (a, b):  # both up; the address is unknown to an account (counted all the same)
        assert (await http.get(api.base_url + "/healthz")).status_code == 200
    statuses = []
    for api in itertools.islice(itertools.cycle((a, b)), 5):
        wrong = await http.post(api.base_url + "/api/auth/login", headers=headers,
                                json={"email": email, "password": "not the password"})
        statuses.append(wrong.status_code)
    assert statuses == [401] * 5
    for api in (b, a):
        refused = await http.post(api.base_url + "/api/auth/login", headers=headers,
                                  json={"email": email, "password": "not the password"})
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "rate_limited"


async def check_database(scenario: Scenario) -> None:
    acks, db = scenario.acks, scenario.db
    emails = [f"scale-{scenario.run}-{i}@example.com" for i in range(scenario.load.users)]

    # every acknowledged sign-up is there, verified
    rows = await db("SELECT email, email_verified_at IS NOT NULL FROM users"
                    " WHERE email = ANY(%s)", emails)
    assert {email for email, verified in rows if verified} == acks.signups == set(emails)

    # every acknowledged start, turn and end; no call left live
    sessions = {str(sid): (status, minutes) for sid, status, minutes in await db(
        "SELECT s.id, s.status, s.minutes_billed FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE u.email = ANY(%s)", emails)}
    assert set(acks.starts) <= set(sessions)
    assert {sid for sid, (status, _) in sessions.items() if status == "completed"} >= acks.ends
    assert acks.ends == set(acks.starts)
    assert [sid for sid, (status, _) in sessions.items() if status == "in_progress"] == []
    said = {(str(sid), turn["text"]) for sid, turns in await db(
        "SELECT session_id, turns FROM transcripts WHERE session_id = ANY(%s::uuid[])",
        list(sessions)) for turn in turns if turn["speaker"] == "rep"}
    assert acks.turns <= said, sorted(acks.turns - said)[:5]

    # minutes: used == the usage rows, never over the total; a trial runs out exactly
    quotas = await db(
        "SELECT u.email, q.total_minutes, q.used_minutes,"
        " (SELECT coalesce(sum(r.minutes_used), 0) FROM usage_records r"
        "  WHERE r.company_id = q.company_id),"
        " (SELECT count(*) FROM usage_records r WHERE r.company_id = q.company_id),"
        " (SELECT count(*) FROM sessions s WHERE s.company_id = q.company_id)"
        " FROM minute_quotas q JOIN users u ON u.company_id = q.company_id AND q.user_id IS NULL"
        " WHERE u.email = ANY(%s)", emails)
    assert len(quotas) == len(emails)
    for email, total, used, usage, usage_rows, calls in quotas:
        assert used == usage <= total, (email, total, used, usage)
        assert usage_rows == calls, (email, usage_rows, calls)  # one per ended call
        if email not in acks.purchases:
            assert total == TRIAL_MINUTES
            attempts = scenario.load.calls_per_user
            assert calls == min(attempts, TRIAL_MINUTES), (email, calls)
            assert acks.refused_for_quota[email] == max(0, attempts - TRIAL_MINUTES)
    assert sum(minutes for _, minutes in sessions.values()) == sum(q[3] for q in quotas)

    # each Stripe event: one inbox row, handled; one grant per purchase
    inbox = Counter(event_id for event_id, status in await db(
        "SELECT event_id, status FROM webhook_events WHERE source = 'stripe'"
        " AND event_id = ANY(%s) AND status = 'processed'", acks.events))
    assert inbox == Counter(set(acks.events)), inbox
    assert len(acks.events) == len(set(acks.events))
    for email, kind in acks.purchases.items():
        grants = await db("SELECT g.kind, g.minutes FROM minute_grants g JOIN users u"
                          " USING (company_id) WHERE u.email = %s", email)
        assert len(grants) == 1, (email, grants)
        subscriptions = await db("SELECT count(*) FROM subscriptions s JOIN users u"
                                 " USING (company_id) WHERE u.email = %s", email)
        assert subscriptions[0][0] == (1 if kind == "subscription" else 0)
        if kind == "top_up":
            assert grants[0][1] == TOP_UP[1]
            [(total,)] = await db("SELECT q.total_minutes FROM minute_quotas q JOIN users u"
                                  " ON u.company_id = q.company_id AND q.user_id IS NULL"
                                  " WHERE u.email = %s", email)
            assert total == TRIAL_MINUTES + TOP_UP[1]


async def check_feedback_once(scenario: Scenario) -> None:
    completed = list(scenario.acks.ends)

    async def all_ready() -> bool:
        rows = await scenario.db("SELECT count(*) FROM sessions WHERE id = ANY(%s::uuid[])"
                                 " AND feedback_status = 'ready'", completed)
        return rows[0][0] == len(completed)

    await eventually(all_ready, within=DEADLINE, every=0.25, what="every call's feedback")
    feedback = Counter(str(sid) for (sid,) in await scenario.db(
        "SELECT session_id FROM feedback WHERE session_id = ANY(%s::uuid[])", completed))
    assert feedback == Counter(completed)
    jobs = Counter((args["session_id"], status) for args, status in await scenario.db(
        "SELECT args, status::text FROM procrastinate_jobs WHERE task_name = 'generate_feedback'"
        " AND args->>'session_id' = ANY(%s)", completed))
    assert jobs == Counter((sid, "succeeded") for sid in completed), jobs
    # and no job of the run (emails, webhooks, feedback) failed, nor needed a second try
    failed = await scenario.db("SELECT task_name, status::text, attempts FROM procrastinate_jobs"
                               " WHERE status NOT IN ('succeeded', 'todo', 'doing')"
                               " OR attempts > 1")  # one attempt each
    assert failed == [], failed


async def scale_out(load: Load, owner_url, redis_url: str, tmp_path: Path) -> Acks:
    run = uuid.uuid4().hex[:8]
    async with running_fake_stripe(STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET) as (fake, stripe_url):
        env = cluster_env(
            owner_url, tmp_path / "data", redis_url,
            PITCHLAB_STRIPE_API_KEY=STRIPE_API_KEY,
            PITCHLAB_STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
            PITCHLAB_STRIPE_API_BASE=stripe_url,
            PITCHLAB_STRIPE_MAX_NETWORK_RETRIES="0",
            PITCHLAB_TRIAL_MINUTES=str(TRIAL_MINUTES),
            PITCHLAB_TRUSTED_PROXIES="127.0.0.1",
        )
        clock = asyncio.get_running_loop().time
        began = clock()
        async with running_cluster(env, tmp_path) as (a, b, worker):
            print(f"\ncluster up in {clock() - began:.1f} s")
            scenario = Scenario(load, a, b, fake, owner_url, run)
            try:
                await check_login_limit_is_shared(scenario.http, a, b, run)
                began = clock()
                await scenario.run_load()
                print(f"load done in {clock() - began:.1f} s")
                began = clock()
                await check_database(scenario)
                await check_feedback_once(scenario)
                print(f"checks done in {clock() - began:.1f} s")
            finally:
                await scenario.http.aclose()
            assert a.process.popen.returncode == -9  # it was killed, not stopped
            # every user whose call was live on A carried on through B
            assert scenario.acks.failovers >= len(scenario.stranded)
            for process in (b.process, worker):
                assert process.popen.poll() is None, "".join(process.log)
    for process in (a.process, b.process, worker):
        assert not process.tracebacks(), process.tracebacks()
    return scenario.acks


async def test_scale_out_small_load(cluster_db, redis_url, tmp_path):
    acks = await scale_out(SMALL, cluster_db, redis_url, tmp_path)
    print(f"scale-out {SMALL}: {len(acks.signups)} sign-ups, {len(acks.starts)} calls,"
          f" {len(acks.turns)} turns, {len(acks.events)} Stripe events, {acks.failovers} failovers")


@pytest.mark.load
async def test_scale_out_large_load(cluster_db, redis_url, tmp_path):
    acks = await scale_out(LARGE, cluster_db, redis_url, tmp_path)
    print(f"scale-out {LARGE}: {len(acks.signups)} sign-ups, {len(acks.starts)} calls,"
          f" {len(acks.turns)} turns, {len(acks.events)} Stripe events, {acks.failovers} failovers")
