"""Test harness: one fresh PostgreSQL database per run (per worker: the suite runs in parallel,
pytest-xdist), migrated with the real migrations.

``PITCHLAB_TEST_DATABASE_URL`` names a server to use (CI: the machine's PostgreSQL); without it
the embedded server starts in a temporary folder. Each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy.engine import URL

from pitchlab.app import create_app
from pitchlab.config import Settings
from pitchlab.database_setup import (
    libpq_dsn,
    set_app_role_password,
    start_embedded_server,
    upgrade,
)
from pitchlab.db import app_role_url, normalize_url
from pitchlab.deps import context_of, install_context
from pitchlab.security.ratelimit import RateLimiter

TEST_APP_PASSWORD = "test-app-role-password"
TEST_ENCRYPTION_KEYS = "t1:" + "A" * 43  # 32 zero bytes, base64url: a fixed key for tests
# bcrypt's floor: a hash in well under a millisecond instead of a quarter second, for the hundreds
# of sign-ups and logins the suite makes. Production keeps 12 (see security/passwords.py).
TEST_BCRYPT_ROUNDS = 4
TENANT_TABLES = [
    "companies", "users", "subscriptions", "sessions", "transcripts", "feedback",
    "usage_records", "minute_quotas", "invitations", "consents", "minute_grants",
    "billing_notices", "scorecards", "scorecard_versions", "scenarios", "assignments",
    "recordings", "recording_usage",
]
# Tenant data the app may only append to and read (INSERT and SELECT granted, no UPDATE or
# DELETE): its own tests (tests/database/test_audit_log_table.py), not the generic ones.
APPEND_ONLY_TABLES = ["audit_logs"]
# Tables that only a transaction in the system context may see at all.
SYSTEM_TABLES = [
    "email_verification_tokens", "refresh_tokens", "email_outbox", "stream_tickets",
    "webhook_events", "demo_bookings", "alert_states",
]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """PITCHLAB_TEST_REDIS_URL (CI: the machine's Redis), else a local server speaking the Redis
    protocol (fakeredis, with Lua for the limiter's scripts), so a newcomer needs no Redis. The
    tests key every counter by their own addresses and emails, so they leave others' counts
    alone."""
    configured = os.environ.get("PITCHLAB_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    from fakeredis import TcpFakeServer

    server = TcpFakeServer(("127.0.0.1", 0), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> URL:
    """The owner URL of a maintenance database on the server the tests use."""
    configured = os.environ.get("PITCHLAB_TEST_DATABASE_URL")
    if configured:
        return normalize_url(configured)
    data_dir = tmp_path_factory.mktemp("embedded")
    return start_embedded_server(data_dir).set(database="postgres")


def create_scratch_database(server_url: URL, prefix: str) -> URL:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server_url.set(database=name)


def drop_database(server_url: URL, url: URL) -> None:
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(url.database))
        )


@pytest.fixture(scope="session")
def owner_url(server_url: URL) -> URL:
    """The run's own database (each parallel worker's own), migrated to head by the real
    migrations."""
    url = create_scratch_database(server_url, "pitchlab_test")
    with one_at_a_time(server_url):
        upgrade(url)
        set_app_role_password(url, TEST_APP_PASSWORD)
    yield url
    drop_database(server_url, url)


# Any number: the advisory lock's name, the same in every worker.
ROLE_SETUP_LOCK = 1_946_013


@contextlib.contextmanager
def one_at_a_time(server_url: URL) -> Iterator[None]:
    """Roles belong to the whole server: on a fresh one, the first migration of two workers
    migrating at once would both find the application role missing and both create it. So
    parallel workers set up their databases in turn (about a second each)."""
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ROLE_SETUP_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ROLE_SETUP_LOCK,))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The tests on the machine's Redis (PITCHLAB_TEST_REDIS_URL) reset the limiter's keys there:
    # run in parallel, one would wipe another's counts. They go to one worker, in turn.
    for item in items:
        if "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("redis"))


def make_settings(owner_url: URL, data_dir: Path, **overrides) -> Settings:
    values = {
        "database_url": SecretStr(owner_url.render_as_string(hide_password=False)),
        "database_app_password": SecretStr(TEST_APP_PASSWORD),
        "jwt_secret": SecretStr("test-jwt-secret-that-is-long-enough-for-hs256"),
        "encryption_keys": SecretStr(TEST_ENCRYPTION_KEYS),
        "data_dir": data_dir,
        "cors_origins": ["https://app.pitchlab.test"],
        "public_url": "http://testserver",
        "bcrypt_rounds": TEST_BCRYPT_ROUNDS,
        # tests run the queue themselves, to the end, and then look (see tests/jobs)
        "run_worker_in_process": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def settings(owner_url: URL, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(owner_url, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def app_url(owner_url: URL, settings: Settings) -> URL:
    return app_role_url(owner_url, TEST_APP_PASSWORD)


@pytest.fixture(scope="session")
async def app(settings: Settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def owner_conn(owner_url: URL) -> AsyncIterator[psycopg.AsyncConnection]:
    """A superuser connection: sets up and inspects rows whatever row-level security says."""
    async with await psycopg.AsyncConnection.connect(
        libpq_dsn(owner_url), autocommit=True
    ) as conn:
        yield conn


@pytest.fixture
async def app_conn(app_url: URL) -> AsyncIterator[psycopg.AsyncConnection]:
    """A connection as the application role, the one the service uses."""
    async with await psycopg.AsyncConnection.connect(libpq_dsn(app_url)) as conn:
        yield conn


# DELETE, not TRUNCATE: a test leaves a handful of rows, which DELETE removes in a millisecond,
# while TRUNCATE makes every table anew (half a second for these, before every test). It also
# takes no ACCESS EXCLUSIVE lock. Sent as one query: one implicit transaction; every foreign key
# between these tables cascades or sets null, so their order does not matter.
EMPTY_TABLES = "; ".join(
    f"DELETE FROM {table}" for table in TENANT_TABLES + SYSTEM_TABLES + APPEND_ONLY_TABLES
)
# A call still served when its test is over has this long to finish before the teardown fails.
SERVED_CALLS_GRACE_SECONDS = 30


@pytest.fixture(autouse=True)
async def _empty_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "owner_url" not in request.fixturenames:
        return
    if "live_server" in request.fixturenames:
        await _served_calls_finished(request.getfixturevalue("served_calls"),
                                     request.getfixturevalue("app"))
    owner_url = request.getfixturevalue("owner_url")
    async with await psycopg.AsyncConnection.connect(
        libpq_dsn(owner_url), autocommit=True
    ) as conn:
        await conn.execute(EMPTY_TABLES)


async def _served_calls_finished(calls: ServedCalls, app) -> None:
    """Wait until the live server has finished every call of the test. A stream's handler goes on
    after its client has gone (the last turns written, the minutes charged): its writes would
    race the emptying of the tables (with TRUNCATE's locks, a deadlock was seen), and land in
    the next test's."""
    try:
        async with asyncio.timeout(SERVED_CALLS_GRACE_SECONDS):
            await calls.finished()
    except TimeoutError:
        pytest.fail(f"{calls.open} call(s) still served "
                    f"{SERVED_CALLS_GRACE_SECONDS} s after the test ended")
    assert len(context_of(app).live_streams) == 0  # every stream unregistered as its handler ended


@pytest.fixture(autouse=True)
async def _fresh_rate_limits(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    # The app lives for the whole run; its in-memory limiter must not carry hits between tests.
    # A new limiter rather than reset(): limits' memory storage can race its own expiry task.
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        install_context(app, dataclasses.replace(context_of(app), limiter=RateLimiter(None)))


class ServedCalls:
    """ASGI middleware counting the HTTP requests and WebSocket streams the app is serving, so
    that a test's teardown can await the last one's end rather than guess how long it takes."""

    def __init__(self, app) -> None:
        self.app = app
        self.open = 0
        self._none_open = asyncio.Event()
        self._none_open.set()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.open += 1
        self._none_open.clear()
        try:
            await self.app(scope, receive, send)
        finally:
            self.open -= 1
            if self.open == 0:
                self._none_open.set()

    async def finished(self) -> None:
        await self._none_open.wait()


@pytest.fixture(scope="session")
def served_calls(app) -> ServedCalls:
    """What ``live_server`` is serving at the moment."""
    return ServedCalls(app)


@pytest.fixture(scope="session")
async def live_server(served_calls: ServedCalls) -> AsyncIterator[str]:
    """The session's app behind a real HTTP/WebSocket server on 127.0.0.1 (for streams)."""
    from tests.fakes.http_server import serve_asgi

    async with serve_asgi(served_calls) as base_url:
        yield base_url


@pytest.fixture
async def proxy(owner_url: URL):
    """A TCP proxy in front of the test database, which a test cuts (``stop``) and restores
    (``start``) to play a database outage; ``through(owner_url, proxy)`` routes an app via it."""
    from tests.fakes.tcp_proxy import proxy_for

    proxy = proxy_for(owner_url)
    await proxy.start()
    yield proxy
    if proxy.running:
        await proxy.stop()


@pytest.fixture
def public_url_is_live_server(app, live_server):
    """The session's app builds its links (``stream.url``) for ``live_server``, for this test."""
    original = context_of(app)
    settings = original.settings.model_copy(update={"public_url": live_server})
    install_context(app, dataclasses.replace(original, settings=settings))
    yield
    install_context(app, dataclasses.replace(context_of(app), settings=original.settings))
