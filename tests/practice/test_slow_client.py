"""A client that stops reading: metering keeps the server's clock, the client is cut off after
the send timeout, and the call is billed for every minute begun (issue 8, item 3)."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from datetime import datetime

import psycopg
import pytest

from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from tests.auth.helpers import bearer
from tests.conftest import make_settings
from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.http_server import running, serve_asgi
from tests.practice.helpers import (
    INIT,
    NonReadingClient,
    eventually,
    quota_and_usage,
    rep,
    start,
    ws_url,
)

MINUTE = 0.25  # seconds in a billed minute, here
SEND_TIMEOUT = 1.5
PLATFORM_KEY = "xi-platform-key-000111"
AGENT = "agent_practice_prospect"


@pytest.fixture
async def relay(owner_url, tmp_path):
    """Calls relayed to a fake ElevenLabs that echoes every audio chunk back as agent audio, so
    a client sending audio gets as much back and, not reading, soon stalls the server's sends."""
    fake = FakeElevenLabs(api_key=PLATFORM_KEY, agent_id=AGENT)
    async with serve_asgi(fake.app()) as fake_url:
        fake.base_url = fake_url
        settings = make_settings(
            owner_url, tmp_path, elevenlabs_api_key=PLATFORM_KEY, elevenlabs_agent_id=AGENT,
            elevenlabs_base_url=fake_url, billing_minute_seconds=MINUTE,
            stream_send_timeout_seconds=SEND_TIMEOUT,
        )
        app = create_app(settings)
        async with running(app) as (client, base):
            yield app, client, base


def billed_and_elapsed(owner_url, session_id: str) -> tuple[int, float]:
    """The session's minutes_billed and its age in seconds, on the database's clock."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT minutes_billed, extract(epoch FROM clock_timestamp() - started_at)::float"
            " FROM sessions WHERE id = %s", (session_id,)).fetchone()


async def _talk_without_listening(client: NonReadingClient) -> None:
    """Audio, as fast as the server takes it, until the server cuts the connection."""
    chunk = json.dumps({"user_audio_chunk": base64.b64encode(b"\x01\x00" * 32_000).decode()})
    while True:
        await client.send_text(chunk)


async def test_a_client_that_never_reads_is_cut_off_and_billed_every_minute_begun(relay, owner_url):
    app, client, base = relay
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    async with NonReadingClient.connect(ws_url(base, session)) as stubborn:
        await stubborn.send_text(json.dumps(INIT))
        talking_since = time.monotonic()
        talker = asyncio.create_task(_talk_without_listening(stubborn))
        try:
            # the server gives up on a client that has not read for the send timeout...
            await eventually(stubborn.cut_by_server, within=SEND_TIMEOUT + 15)
            cut_after = time.monotonic() - talking_since
            billed, elapsed = billed_and_elapsed(owner_url, session["id"])
            # ...and lets go of the call's stream (its provider connection included)
            await eventually(lambda: len(context_of(app).live_streams) == 0, within=10)
        finally:
            talker.cancel()
            await asyncio.gather(talker, return_exceptions=True)
    assert cut_after >= SEND_TIMEOUT
    # Meanwhile it charged every minute as it began, on its own clock, though not one status
    # message got through (two minutes of slack for a charge in flight and the polling); a
    # meter waiting on its sends would have stopped at the second.
    assert elapsed >= SEND_TIMEOUT
    assert billed >= math.ceil(elapsed / MINUTE) - 2

    # The call stays live (the rep may reconnect) until it is ended; ending it later bills the
    # minutes that began after the stream was cut, too. Moving the start back stands in for
    # the rep ending the call three seconds later.
    live = (await client.get(f"/api/sessions/{session['id']}", headers=bearer(tokens))).json()
    assert live["status"] == "in_progress"
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE sessions SET started_at = started_at - interval '3 seconds'"
                     " WHERE id = %s", (session["id"],))
    ended = (await client.post(f"/api/sessions/{session['id']}/end", headers=bearer(tokens))).json()
    ran = (datetime.fromisoformat(ended["ended_at"])
           - datetime.fromisoformat(ended["started_at"])).total_seconds()
    begun = math.ceil(ran / MINUTE)
    assert begun >= billed + 6
    assert ended["minutes_billed"] == begun
    assert quota_and_usage(owner_url, tokens["email"])[1:] == (begun, begun)
