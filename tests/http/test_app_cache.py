"""The application cache: the company's subscription standing, read at every session start after
the trial, is cached, and a subscription Stripe reports is seen by the very next start, in this
process and (with Redis) in another."""

from __future__ import annotations

import contextlib
import socket

import httpx
import pytest
from pydantic import SecretStr

from pitchlab.app import create_app
from pitchlab.cache import MemoryCache, RedisCache
from pitchlab.deps import context_of
from tests.auth.helpers import drain_jobs
from tests.billing.conftest import (  # noqa: F401 (fake_stripe is a fixture)
    STRIPE_API_KEY,
    STRIPE_WEBHOOK_SECRET,
    WEBHOOK_PATH,
    fake_stripe,
)
from tests.billing.stripe_flows import (
    customer,
    end_trial,
    start_practice,
    subscription_checkout,
)
from tests.conftest import make_settings
from tests.fakes.stripe_server import running_fake_stripe


def refused(response: httpx.Response) -> bool:
    return (response.status_code, response.json()["error"]["code"]) == (
        402, "subscription_inactive")


async def add_subscription_behind_the_apps_back(owner_conn, company_id) -> None:
    await owner_conn.execute(
        "INSERT INTO subscriptions (company_id, stripe_subscription_id, plan_id, status)"
        " VALUES (%s, 'sub_by_hand', 'team', 'active')", (company_id,))


async def test_a_subscription_is_seen_by_the_next_session_start(
    client, app, owner_url, owner_conn, fake_stripe  # noqa: F811
):
    buyer = await customer(client, app, owner_url, owner_conn)
    await end_trial(owner_conn, buyer.company_id)
    assert refused(await start_practice(client, buyer.tokens))

    # Cached: a row written behind the app's back is not seen (until the TTL) ...
    await add_subscription_behind_the_apps_back(owner_conn, buyer.company_id)
    assert refused(await start_practice(client, buyer.tokens))
    await owner_conn.execute("DELETE FROM subscriptions WHERE company_id = %s",
                             (buyer.company_id,))

    # ... while a subscription recorded by the app (Stripe's webhooks) is seen at once.
    fake_stripe.complete_checkout(await subscription_checkout(app, buyer))
    for event in fake_stripe.take_events():
        assert await fake_stripe.deliver(event) == [200]
    await drain_jobs(app)
    started = await start_practice(client, buyer.tokens)
    assert started.status_code == 201, started.text


@pytest.fixture
async def two_processes(owner_url, tmp_path, redis_url):
    """Two app instances sharing one Redis and one fake Stripe: the first serves the rep, the
    second receives Stripe's webhooks and runs the jobs, as two processes would."""
    async with running_fake_stripe(STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET) as (fake, base_url):
        settings = make_settings(
            owner_url, tmp_path, redis_url=SecretStr(redis_url),
            stripe_api_key=SecretStr(STRIPE_API_KEY), stripe_api_base=base_url,
            stripe_webhook_secret=SecretStr(STRIPE_WEBHOOK_SECRET), stripe_max_network_retries=0,
        )
        apps = [create_app(settings), create_app(settings)]
        async with contextlib.AsyncExitStack() as stack:
            clients = []
            for each in apps:
                await stack.enter_async_context(each.router.lifespan_context(each))
                clients.append(await stack.enter_async_context(httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=each), base_url="http://testserver")))

            async def to_second(body: bytes, headers: dict[str, str]) -> int:
                return (await clients[1].post(WEBHOOK_PATH, content=body,
                                              headers=headers)).status_code

            fake.sink = to_second
            yield fake, apps, clients


async def test_with_redis_a_change_in_one_process_is_seen_by_another(
    two_processes, owner_url, owner_conn
):
    fake, (first, second), (first_client, _) = two_processes
    assert isinstance(context_of(first).database.cache, RedisCache)
    buyer = await customer(first_client, first, owner_url, owner_conn)
    await end_trial(owner_conn, buyer.company_id)
    assert refused(await start_practice(first_client, buyer.tokens))  # cached in Redis

    fake.complete_checkout(await subscription_checkout(second, buyer))
    for event in fake.take_events():
        assert await fake.deliver(event) == [200]
    await drain_jobs(second)  # the second process records the subscription, and invalidates

    started = await start_practice(first_client, buyer.tokens)
    assert started.status_code == 201, started.text


async def test_memory_entries_expire_and_the_least_recent_goes_first():
    now = [0.0]
    cache = MemoryCache(10, max_entries=2, clock=lambda: now[0])
    await cache.set("a", "1")
    await cache.set("b", "2", ttl_seconds=1)
    assert await cache.get("a") == "1"  # a is now the most recent
    await cache.set("c", "3")
    assert await cache.get("b") is None and await cache.get("c") == "3"
    now[0] = 10.0
    assert await cache.get("a") is None


async def test_redis_down_is_a_miss_not_an_error(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cache = RedisCache(f"redis://:s3cret-password@127.0.0.1:{port}/0")
    try:
        await cache.set("k", "v")
        assert await cache.get("k") is None
        await cache.delete("k")
    finally:
        await cache.aclose()
    assert "s3cret-password" not in caplog.text
    assert "cache read failed (ConnectionError)" in caplog.text
