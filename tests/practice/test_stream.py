"""The practice call's WebSocket, through a real server: protocol, tickets, metering, closes."""

from __future__ import annotations

import contextlib
import json
import uuid

import psycopg
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.practice.jobs import sweep_once
from tests.auth.helpers import bearer
from tests.conftest import make_settings
from tests.fakes.http_server import running
from tests.practice.helpers import (
    INIT,
    closed_with,
    opened,
    quota_and_usage,
    recv,
    rep,
    set_company_quota,
    start,
    ws_url,
)


async def test_a_voice_call_with_the_offline_prospect(client, app, owner_url, live_server):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice", scenario_id="discovery-busy-vp")
    async with connect(ws_url(live_server, session) + "&source=python_sdk&version=2.78.0") as ws:
        await ws.send(json.dumps(INIT))
        metadata = json.loads(await ws.recv())
        assert metadata["type"] == "conversation_initiation_metadata"
        event = metadata["conversation_initiation_metadata_event"]
        assert event["conversation_id"] and event["agent_output_audio_format"] == "pcm_16000"
        status = await recv(ws, "session_status")
        assert status["minutes_remaining"] == 59
        opening = await recv(ws, "agent_response")
        assert opening["agent_response_event"]["agent_response"].startswith("Marcus speaking")

        await ws.send(json.dumps({"type": "user_message",
                                  "text": "How do you ramp new reps today?"}))
        reply = await recv(ws, "agent_response")
        assert "six months" in reply["agent_response_event"]["agent_response"]
        await ws.send(json.dumps({"type": "user_activity"}))
        await ws.send(json.dumps({"type": "pong", "event_id": 1}))

        ended = await client.post(f"/api/sessions/{session['id']}/end", headers=bearer(tokens))
        assert ended.status_code == 200
        assert await closed_with(ws) == 1000

    transcript = (await client.get(f"/api/sessions/{session['id']}/transcript",
                                   headers=bearer(tokens))).json()
    assert [(t["speaker"], t["text"][:12]) for t in transcript["turns"]] == [
        ("prospect", "Marcus speak"), ("rep", "How do you r"), ("prospect", "Well, since ")]


async def test_tickets_are_single_use_and_checked(client, app, owner_url, live_server):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    async with connect(ws_url(live_server, session, ticket="forged-ticket-value")) as ws:
        assert await closed_with(ws) == 4401
    async with connect(ws_url(live_server, session)) as ws:
        await ws.send(json.dumps(INIT))
        assert json.loads(await ws.recv())["type"] == "conversation_initiation_metadata"
    async with connect(ws_url(live_server, session)) as ws:  # spent
        assert await closed_with(ws) == 4401


async def test_bearer_auth_and_unknown_or_foreign_sessions(client, app, owner_url, live_server):
    alice = await rep(client, app, owner_url)
    mallory = await rep(client, app, owner_url)
    session = await start(client, alice, mode="voice")
    base = live_server.replace("http://", "ws://")
    url = f"{base}/api/sessions/{session['id']}/stream"
    async with connect(url, additional_headers=bearer(alice)) as ws:
        await ws.send(json.dumps(INIT))
        assert json.loads(await ws.recv())["type"] == "conversation_initiation_metadata"
    async with connect(url, additional_headers=bearer(mallory)) as ws:
        assert await closed_with(ws) == 4404
    elsewhere = f"{base}/api/sessions/{uuid.uuid4()}/stream"
    async with connect(elsewhere, additional_headers=bearer(alice)) as ws:
        assert await closed_with(ws) == 4404
    async with connect(url) as ws:  # neither ticket nor token
        assert await closed_with(ws) == 4401


async def test_the_stream_answers_with_the_convai_subprotocol(client, app, owner_url, live_server):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    async with connect(ws_url(live_server, session), subprotocols=["convai"]) as ws:
        assert ws.subprotocol == "convai"


@pytest.fixture
async def fast_minutes(owner_url, tmp_path):
    """An app whose billed minute lasts 0.3 s, behind its own server."""
    settings = make_settings(owner_url, tmp_path, billing_minute_seconds=0.3)
    fast = create_app(settings)
    async with running(fast) as (client, base):
        yield fast, client, base


async def test_the_call_is_cut_when_the_quota_runs_out(fast_minutes, owner_url):
    app, client, base = fast_minutes
    tokens = await rep(client, app, owner_url)
    set_company_quota(owner_url, tokens["email"], total=3)
    session = await start(client, tokens, mode="voice")
    statuses = []
    async with connect(ws_url(base, session)) as ws:
        await ws.send(json.dumps(INIT))
        with contextlib.suppress(ConnectionClosed):
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "session_status":
                    statuses.append(message["minutes_remaining"])
        assert ws.close_code == 4402
    assert statuses[-1] == 0
    assert quota_and_usage(owner_url, tokens["email"])[:2] == (3, 3)  # never overspent
    ended = (await client.post(f"/api/sessions/{session['id']}/end", headers=bearer(tokens))).json()
    assert ended["minutes_billed"] == 3
    assert quota_and_usage(owner_url, tokens["email"]) == (3, 3, 3)


async def test_a_stream_going_quiet_is_swept_and_billed(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="text")
    await client.post(f"/api/sessions/{session['id']}/stream", headers=bearer(tokens),
                      json={"text": "Hello"})
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE sessions SET last_activity_at = now() - interval '3 minutes'")
    assert await sweep_once(context_of(app).database, context_of(app).settings) == 1
    body = (await client.get(f"/api/sessions/{session['id']}", headers=bearer(tokens))).json()
    assert body["status"] == "completed" and body["end_reason"] == "idle_timeout"
    assert quota_and_usage(owner_url, tokens["email"]) == (60, 1, 1)
    transcript = (await client.get(f"/api/sessions/{session['id']}/transcript",
                                   headers=bearer(tokens))).json()
    # the prospect's opening line, the rep's turn and the reply
    assert len(transcript["turns"]) == 3 and transcript["text"]


@pytest.mark.parametrize(("quota", "billed"), [(60, 3), (2, 2)])
async def test_the_sweep_bills_every_minute_begun_until_the_call_went_quiet(
    client, app, owner_url, quota, billed
):
    tokens = await rep(client, app, owner_url)
    set_company_quota(owner_url, tokens["email"], total=quota)
    session = await start(client, tokens, mode="voice")
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        # a call whose stream was cut after its first minute ran 2.5 minutes, then went quiet
        conn.execute("UPDATE sessions SET started_at = now() - interval '330 seconds',"
                     " last_activity_at = now() - interval '180 seconds'")
    assert await sweep_once(context_of(app).database, context_of(app).settings) == 1
    body = (await client.get(f"/api/sessions/{session['id']}", headers=bearer(tokens))).json()
    # it ended when it was last heard of: minutes 2 and 3 had begun (as far as the quota
    # goes), the quiet minutes since are not billed
    assert (body["status"], body["duration_seconds"]) == ("completed", 150)
    assert body["minutes_billed"] == billed
    assert quota_and_usage(owner_url, tokens["email"]) == (quota, billed, billed)


@pytest.mark.parametrize(("quota", "billed"), [(60, 6), (3, 3)])
async def test_end_bills_every_minute_begun_as_far_as_the_quota_goes(
    client, app, owner_url, quota, billed
):
    tokens = await rep(client, app, owner_url)
    set_company_quota(owner_url, tokens["email"], total=quota)
    session = await start(client, tokens, mode="voice")
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        # nothing charged the call after its first minute (its stream was cut): 5.5 minutes on
        conn.execute("UPDATE sessions SET started_at = now() - interval '330 seconds'")
    ended = await client.post(f"/api/sessions/{session['id']}/end", headers=bearer(tokens))
    assert ended.status_code == 200
    assert ended.json()["minutes_billed"] == billed
    assert quota_and_usage(owner_url, tokens["email"]) == (quota, billed, billed)


async def test_garbage_frames_do_not_break_the_call(client, app, owner_url, live_server):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    async with opened(live_server, session) as ws:
        for frame in ("not json at all", "[1, 2, 3]", '{"no_type": true}', b"\xff\xfe binary",
                      json.dumps({"user_audio_chunk": "AAAA"})):
            await ws.send(frame)
        await ws.send(json.dumps({"type": "user_message", "text": "What matters most to you?"}))
        reply = await recv(ws, "agent_response")
        assert reply["agent_response_event"]["agent_response"].startswith("Well, since you ask")


async def test_reconnecting_after_the_quota_ran_out_is_refused_with_4402(
    client, app, owner_url, live_server
):
    tokens = await rep(client, app, owner_url)
    set_company_quota(owner_url, tokens["email"], total=2)
    session = await start(client, tokens, mode="voice")
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        # the rep comes back five minutes into the call: minutes 2-6 are due, one fits
        conn.execute("UPDATE sessions SET started_at = now() - interval '5 minutes'")
    async with connect(ws_url(live_server, session)) as ws:
        status = json.loads(await ws.recv())
        assert (status["type"], status["minutes_remaining"]) == ("session_status", 0)
        assert await closed_with(ws) == 4402
    # the refusal rolled back with its transaction: nothing was half charged
    assert quota_and_usage(owner_url, tokens["email"])[:2] == (2, 1)
