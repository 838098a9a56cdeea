"""ElevenLabs down, four ways: a voice call's stream tells the client why in an ``error`` message
and closes 1011 (never hangs, never a 500), the call can still be ended and is billed as usual,
and once ElevenLabs recovers a new call relays again. /metrics counts each failed call."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect

from pitchlab.deps import context_of
from pitchlab.providers import elevenlabs
from tests.auth.helpers import bearer
from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.misbehave import FAULTS, misbehaving
from tests.faults.conftest import provider_errors, using
from tests.practice.helpers import (
    INIT,
    closed_with,
    opened,
    quota_and_usage,
    recv,
    rep,
    start,
    ws_url,
)

KEY = "xi-faults-platform-key-0123"
AGENT = "agent_faults_prospect"


@pytest.fixture
async def voice(app, live_server, public_url_is_live_server, monkeypatch):
    monkeypatch.setattr(elevenlabs, "CONNECT_TIMEOUT", 0.5)  # a hung ElevenLabs is given up on
    fake = FakeElevenLabs(api_key=KEY, agent_id=AGENT)
    async with misbehaving(fake.app()) as switch:
        fake.base_url = switch.base_url
        provider = elevenlabs.ElevenLabsVoiceProvider(
            base_url=switch.base_url, platform_key=KEY, agent_id=AGENT, vault=context_of(app).vault)
        try:
            with using(app, voice=provider):
                yield fake, switch
        finally:
            await provider.aclose()


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_call_ends_with_a_reason_and_is_billed_and_the_next_one_relays(
    app, client, owner_url, live_server, voice, fault
):
    fake, switch = voice
    tokens = await rep(client, app, owner_url)
    before = await provider_errors(client, "elevenlabs")
    await switch.set(fault)

    session = await start(client, tokens, mode="voice")
    async with connect(ws_url(live_server, session)) as ws:
        await ws.send(json.dumps(INIT))
        error = await recv(ws, "error", within=10)
        assert error["error_event"]["message"]  # a reason the client can show
        assert KEY not in json.dumps(error)
        assert await closed_with(ws, within=10) == 1011
    assert fake.initiations == []
    assert await provider_errors(client, "elevenlabs") == before + 1

    ended = await client.post(f"/api/sessions/{session['id']}/end", headers=bearer(tokens))
    assert ended.status_code == 200, ended.text
    assert ended.json()["minutes_billed"] == 1
    assert quota_and_usage(owner_url, tokens["email"])[1:] == (1, 1)

    await switch.set(None)
    session = await start(client, tokens, mode="voice")
    async with opened(live_server, session):  # the agent's first words arrive
        pass
    assert len(fake.initiations) == 1
    assert await provider_errors(client, "elevenlabs") == before + 1
