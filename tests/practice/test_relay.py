"""The relay to ElevenLabs, driven against a local server that speaks its protocol."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from websockets.asyncio.client import connect

from pitchlab.app import create_app
from tests.auth.helpers import bearer
from tests.conftest import make_settings
from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.http_server import running, serve_asgi
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
from tests.scenarios.helpers import created

PLATFORM_KEY = "xi-platform-key-000111"
AGENT = "agent_practice_prospect"


@dataclass(frozen=True)
class Relay:
    """An app that relays to a fake ElevenLabs: the app, its client, its URL, the fake."""

    app: FastAPI
    client: AsyncClient
    base: str
    fake: FakeElevenLabs


@pytest.fixture
async def relay(owner_url, tmp_path):
    fake = FakeElevenLabs(api_key=PLATFORM_KEY, agent_id=AGENT)
    async with serve_asgi(fake.app()) as fake_url:
        fake.base_url = fake_url
        settings = make_settings(owner_url, tmp_path, elevenlabs_api_key=PLATFORM_KEY,
                                 elevenlabs_agent_id=AGENT, elevenlabs_base_url=fake_url)
        app = create_app(settings)
        async with running(app) as (client, base):
            yield Relay(app, client, base, fake)


async def _call(relay, owner_url, scenario="price-objection"):
    tokens = await rep(relay.client, relay.app, owner_url)
    session = await start(relay.client, tokens, mode="voice", scenario_id=scenario)
    return tokens, session


async def _transcript(relay, tokens, session) -> dict:
    response = await relay.client.get(f"/api/sessions/{session['id']}/transcript",
                                      headers=bearer(tokens))
    return response.json()


async def test_the_scenario_reaches_the_agent_and_audio_flows_both_ways(relay, owner_url):
    _tokens, session = await _call(relay, owner_url)
    async with connect(ws_url(relay.base, session)) as ws:
        await ws.send(json.dumps(INIT))
        metadata = await recv(ws, "conversation_initiation_metadata")
        event = metadata["conversation_initiation_metadata_event"]
        assert event["conversation_id"].startswith("conv_")
        opening = await recv(ws, "agent_response")
        assert opening["agent_response_event"]["agent_response"].startswith("Thanks for sending")
        [initiation] = relay.fake.initiations
        override = initiation["conversation_config_override"]["agent"]
        assert "Priya Nair" in override["prompt"]["prompt"]
        assert initiation["dynamic_variables"]["session_id"] == session["id"]
        assert relay.fake.keys_seen == [PLATFORM_KEY]

        pcm = base64.b64encode(b"\x01\x00" * 320).decode()  # 20 ms of pcm_16000
        for _ in range(3):
            await ws.send(json.dumps({"user_audio_chunk": pcm}))
            audio = await recv(ws, "audio")
            assert audio["audio_event"]["audio_base_64"] == pcm
        assert sum("user_audio_chunk" in m for m in relay.fake.received) == 3


async def test_an_interruption_drops_stale_audio_and_corrects_the_transcript(relay, owner_url):
    tokens, session = await _call(relay, owner_url)
    async with opened(relay.base, session) as ws:
        await ws.send(json.dumps({"type": "user_message", "text": "__interrupt__"}))
        audio = []
        while len(audio) < 2:
            message = json.loads(await ws.recv())
            if message["type"] == "audio":
                audio.append(message["audio_event"]["audio_base_64"])
        assert audio == ["c3RhbGU=", "ZnJlc2g="]  # "late" (stale after the cut) never arrives
    transcript = await _transcript(relay, tokens, session)
    assert transcript["turns"][-1] == {**transcript["turns"][-1], "speaker": "prospect",
                                       "text": "Let me tell you"}


async def test_the_relay_answers_pings_itself(relay, owner_url):
    _tokens, session = await _call(relay, owner_url)
    async with opened(relay.base, session) as ws:
        await ws.send(json.dumps({"type": "user_message", "text": "__ping__"}))
        await asyncio.wait_for(relay.fake.pong_received.wait(), 5)
        assert relay.fake.pongs == [4242]


async def test_rep_speech_and_agent_replies_land_in_the_transcript(relay, owner_url):
    tokens, session = await _call(relay, owner_url)
    async with opened(relay.base, session) as ws:
        await ws.send(json.dumps({"type": "user_message",
                                  "text": "__say What is your budget cycle?"}))
        await recv(ws, "user_transcript")
        await recv(ws, "agent_response")
    transcript = await _transcript(relay, tokens, session)
    said = [(t["speaker"], t["text"]) for t in transcript["turns"]]
    assert ("rep", "What is your budget cycle?") in said
    assert ("prospect", "I heard: What is your budget cycle?") in said


@pytest.mark.parametrize("code", [1002, 1008, 1011])
async def test_an_upstream_failure_ends_the_stream_but_the_call_can_be_ended_and_billed(
    relay, owner_url, code
):
    tokens, session = await _call(relay, owner_url)
    async with opened(relay.base, session) as ws:
        await ws.send(json.dumps({"type": "user_message", "text": f"__close_{code}__"}))
        error = await recv(ws, "error")
        assert error["error_event"]["code"] == code
        assert await closed_with(ws) == 1011
    body = (await relay.client.get(f"/api/sessions/{session['id']}", headers=bearer(tokens))).json()
    assert body["status"] == "in_progress"
    ended = (await relay.client.post(f"/api/sessions/{session['id']}/end",
                                     headers=bearer(tokens))).json()
    assert ended["minutes_billed"] == 1
    assert quota_and_usage(owner_url, tokens["email"]) == (60, 1, 1)


async def test_a_normal_upstream_end_closes_the_stream_with_1000(relay, owner_url):
    _tokens, session = await _call(relay, owner_url)
    async with opened(relay.base, session) as ws:
        await ws.send(json.dumps({"type": "user_message", "text": "__end__"}))
        assert await closed_with(ws) == 1000


async def test_the_client_leaving_closes_the_upstream(relay, owner_url):
    _tokens, session = await _call(relay, owner_url)
    async with opened(relay.base, session):
        pass  # and the rep hangs up
    await asyncio.wait_for(relay.fake.client_closed.wait(), 5)


async def test_the_users_own_key_is_used_before_the_platform_key(relay, owner_url):
    tokens, session = await _call(relay, owner_url)
    own_key = "xi-users-own-key-999"
    relay.fake.api_key = own_key  # only the user's key is valid now
    await relay.client.put("/api/users/me", headers=bearer(tokens),
                           json={"api_keys": {"elevenlabs": own_key}})
    async with opened(relay.base, session):
        pass
    assert relay.fake.keys_seen[-1] == own_key


async def test_a_refused_provider_is_a_1011_with_a_reason(relay, owner_url):
    _tokens, session = await _call(relay, owner_url)
    relay.fake.api_key = "something-else"
    async with connect(ws_url(relay.base, session)) as ws:
        await ws.send(json.dumps(INIT))
        error = await recv(ws, "error")
        assert "refused" in error["error_event"]["message"]
        assert await closed_with(ws) == 1011
        assert PLATFORM_KEY not in json.dumps(error)


async def test_a_company_scenario_reaches_the_agent_as_its_overrides(relay, owner_url):
    """Issue 17: a company's own scenario is the hosted agent's prompt, first message and
    language."""
    tokens = await rep(relay.client, relay.app, owner_url)  # the company's admin
    custom = await created(relay.client, tokens)  # a German-speaking freight buyer
    session = await start(relay.client, tokens, mode="voice", scenario_id=custom["id"])
    async with connect(ws_url(relay.base, session)) as ws:
        await ws.send(json.dumps(INIT))
        await recv(ws, "conversation_initiation_metadata")
    [initiation] = relay.fake.initiations
    agent = initiation["conversation_config_override"]["agent"]
    assert agent["first_message"] == custom["first_message"]
    assert agent["language"] == custom["language"] == "de"
    prompt = agent["prompt"]["prompt"]
    for told in (custom["persona"]["name"], custom["company_background"],
                 *custom["pains"], *custom["objections"], custom["success_criteria"]):
        assert told.rstrip(".") in prompt, told
    assert "Speak only German" in prompt
