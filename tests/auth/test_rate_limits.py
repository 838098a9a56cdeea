"""Rate limits: per email and per IP, 429 with Retry-After, in memory or in Redis (the login
throttle's own rules are in test_login_throttle.py)."""

from __future__ import annotations

import contextlib
import logging
import socket
import uuid

import httpx
import pytest

from pitchlab.app import create_app
from pitchlab.deps import context_of
from pitchlab.security.ratelimit import LOGIN, RULES, LoginThrottle, RateLimiter
from tests.auth.helpers import unique_email
from tests.conftest import make_settings


async def _hammer_login(client, email: str, times: int) -> list[httpx.Response]:
    return [
        await client.post("/api/auth/login", json={"email": email, "password": "wrong password"})
        for _ in range(times)
    ]


async def test_login_failures_are_limited_per_email_and_address_with_retry_after(client):
    allowed = LOGIN.per_pair[0].amount
    email = unique_email()
    responses = await _hammer_login(client, email, allowed + 1)
    assert [r.status_code for r in responses[:allowed]] == [401] * allowed
    limited = responses[-1]
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 15 * 60
    # the body says the same wait as the header
    assert limited.json()["error"]["details"] == {
        "retry_after_seconds": int(limited.headers["retry-after"])
    }
    # another email from the same client is still let through
    other = await client.post("/api/auth/login",
                              json={"email": unique_email(), "password": "wrong password"})
    assert other.status_code == 401


async def test_register_is_limited_per_email(client):
    email = unique_email()
    body = {"email": email, "password": "correct horse battery", "name": "N", "company_name": "C"}
    responses = [await client.post("/api/auth/register", json=body)
                 for _ in range(RULES["register"].per_email.amount + 1)]
    statuses = [response.status_code for response in responses]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {202}
    limited = responses[-1]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited.json()["error"]["details"] == {
        "retry_after_seconds": int(limited.headers["retry-after"])
    }


async def test_resend_is_limited_per_email(client):
    email = unique_email()
    statuses = [
        (await client.post("/api/auth/resend-verification", json={"email": email})).status_code
        for _ in range(RULES["resend_verification"].per_email.amount + 1)
    ]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {202}


async def test_login_failures_are_limited_per_ip_across_emails(client):
    statuses = []
    for _ in range(LOGIN.per_ip[0].amount + 1):
        response = await client.post(
            "/api/auth/login", json={"email": unique_email(), "password": "wrong password"}
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}


@pytest.fixture
async def redis_backed_clients(owner_url, tmp_path, redis_url):
    """Two app instances sharing one Redis: the limit is shared, as between two processes."""
    settings = make_settings(owner_url, tmp_path, redis_url=redis_url)
    apps = [create_app(settings), create_app(settings)]
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients.append(await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver")))
        await context_of(apps[0]).limiter.reset()
        yield clients
        await context_of(apps[0]).limiter.reset()


async def test_redis_shares_the_limit_between_processes(redis_backed_clients):
    first, second = redis_backed_clients
    email = f"redis-{uuid.uuid4().hex[:8]}@example.com"
    allowed = LOGIN.per_pair[0].amount
    for index in range(allowed):
        client = first if index % 2 else second
        response = await client.post("/api/auth/login",
                                     json={"email": email, "password": "nope nope"})
        assert response.status_code == 401
    limited = await first.post("/api/auth/login", json={"email": email, "password": "nope nope"})
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0


async def test_an_unreachable_redis_lets_requests_through_and_says_so(caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limiter = RateLimiter(f"redis://127.0.0.1:{port}/0")
    with caplog.at_level(logging.WARNING):
        for _ in range(RULES["register"].per_email.amount + 2):
            await limiter.check("register", ip="10.9.8.7", email="someone@example.com")
        for _ in range(LOGIN.per_pair[0].amount + 2):
            throttle = LoginThrottle(limiter, email="someone@example.com", ip="10.9.8.7")
            await throttle.admit()
            await throttle.failed()
        await throttle.succeeded()
    assert any("rate limiter unavailable" in r.getMessage() for r in caplog.records)
