"""Sentry: an unhandled error reaches a local Sentry endpoint, tagged with its request id and
with no secret or personal data of the request in it."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import sentry_sdk
from pydantic import SecretStr

from pitchlab.app import create_app
from tests.conftest import make_settings
from tests.fakes.http_server import serve_asgi
from tests.fakes.sentry_server import FakeSentry

PASSWORD = "correct horse battery staple"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXNlY3JldA"
EMAIL = "rep.private@example.com"
TRANSCRIPT = "our budget is frozen until March"


class Boom(Exception):
    pass


@pytest.fixture
async def sentry() -> object:
    fake = FakeSentry()
    async with serve_asgi(fake.app()) as base_url:
        try:
            yield fake, base_url
        finally:
            # The SDK is process-wide: leave it off for the tests that follow (closed while
            # its endpoint still answers, so nothing is left retrying).
            await asyncio.to_thread(sentry_sdk.get_client().close, 2)
            sentry_sdk.get_global_scope().set_client(None)


async def _flush() -> None:
    # The SDK's sending thread posts to a server on this event loop: flush from another thread.
    await asyncio.to_thread(sentry_sdk.flush, 5)


async def test_an_unhandled_error_reaches_sentry_scrubbed(owner_url, tmp_path, sentry) -> None:
    fake, base_url = sentry
    settings = make_settings(owner_url, tmp_path, sentry_dsn=SecretStr(fake.dsn(base_url)),
                             sentry_environment="test")
    app = create_app(settings)

    @app.post("/boom")
    async def boom(body: dict) -> None:  # the body is read, as a real endpoint would
        raise Boom("while handling the call")

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                          base_url="http://testserver") as client,
    ):
        response = await client.post(
            "/boom",
            json={"email": EMAIL, "password": PASSWORD, "turns": [{"text": TRANSCRIPT}]},
            headers={"Authorization": f"Bearer {TOKEN}", "Cookie": f"session={TOKEN}",
                     "X-Request-ID": "req-sentry-1"},
        )
        await _flush()

    assert response.status_code == 500
    assert response.json()["request_id"] == "req-sentry-1"
    assert len(fake.events) == 1
    event = fake.events[0]
    assert event["exception"]["values"][-1]["type"] == "Boom"
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["environment"] == "test"
    sent = b"".join(fake.raw).decode()
    for secret in (PASSWORD, TOKEN, EMAIL, TRANSCRIPT, "rep.private"):
        assert secret not in sent
    assert "Bearer" not in json.dumps(event.get("request", {}))


async def test_without_a_dsn_nothing_is_reported(settings) -> None:
    create_app(settings)
    assert not sentry_sdk.get_client().is_active()
