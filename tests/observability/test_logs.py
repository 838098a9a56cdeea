"""Structured logs through the public surface: requests to the app, a live stream, the output as
the process writes it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pitchlab.app import create_app
from pitchlab.logging_setup import configure_logging
from tests.auth.helpers import PASSWORD, bearer, drain_jobs, logged_in
from tests.cli.helpers import clean_env
from tests.conftest import TEST_APP_PASSWORD, make_settings
from tests.fakes.http_server import running
from tests.practice.helpers import INIT, recv, rep, set_company_quota, start, ws_url
from tests.webhooks.conftest import handlers, stripe_secret  # noqa: F401
from tests.webhooks.helpers import RECORDED, SECRET, deliver, stripe_event

API_KEY = "sk-live-OBSERVABILITY-secret-key-0042"
TRANSCRIPT_SECRET = "our budget is exactly 8675309 dollars"


async def test_an_access_line_per_request_with_route_status_latency_and_caller(
    client, app, owner_url, owner_conn, log_lines
):
    tokens = await rep(client, app, owner_url)
    me = await client.get("/api/users/me", headers=bearer(tokens))
    unknown = uuid.uuid4()
    await client.get(f"/api/sessions/{unknown}", headers=bearer(tokens))

    lines = log_lines.events("http.request")
    line = next(x for x in lines if x["request_id"] == me.headers["x-request-id"])
    assert line["method"] == "GET" and line["route"] == "/api/users/me"
    assert line["status"] == 200 and line["level"] == "info"
    assert line["logger"] == "pitchlab.access" and line["timestamp"].endswith("Z")
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    user = await (await owner_conn.execute(
        "SELECT id::text, company_id::text FROM users WHERE email = %s", (tokens["email"],)
    )).fetchone()
    assert (line["user_id"], line["company_id"]) == user
    # The template, never the raw path: ids stay out of the line.
    assert lines[-1]["route"] == "/api/sessions/{session_id:uuid}"
    assert str(unknown) not in log_lines.text
    assert "trace_id" not in line  # tracing is off without an endpoint


async def test_an_anonymous_request_names_no_caller(client, log_lines):
    await client.get("/api/plans")
    line = log_lines.events("http.request")[-1]
    assert "user_id" not in line and "company_id" not in line


async def test_no_password_token_api_key_or_transcript_text_is_written(
    client, app, owner_url, log_lines
):
    tokens = await rep(client, app, owner_url)
    email = tokens["email"]
    await client.post("/api/auth/login", json={"email": email, "password": "wrong " + PASSWORD})
    await client.put("/api/users/me", headers=bearer(tokens),
                     json={"api_keys": {"openai": API_KEY}})
    await client.get("/api/auth/verify-email", params={"token": tokens["access_token"]})
    await client.get("/api/users/me", headers={"Authorization": "Bearer " + "x" * 40 + ".forged"})
    await client.get("/api/users/me", headers={"X-Api-Key": API_KEY, **bearer(tokens)})
    sid = (await start(client, tokens, mode="text"))["id"]
    said = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                             json={"text": TRANSCRIPT_SECRET})
    assert said.status_code == 200
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    await drain_jobs(app)

    lines = log_lines.read()
    assert len(lines) > 10
    for secret in (PASSWORD, tokens["access_token"], tokens["refresh_token"], API_KEY,
                   "x" * 40, "8675309"):
        assert secret not in log_lines.text


def test_secrets_in_fields_and_messages_are_redacted(log_lines):
    import logging

    from pitchlab.observability.logs import get_logger

    get_logger("pitchlab.test").info("test.event", password="hunter2-secret", text="said aloud",
                                     url="/x?token=abcdefSECRET", note="Bearer eyJsecret.x.y")
    logging.getLogger("pitchlab.test").warning("stdlib line with %s", "api_key=sk_live_abcdefgh1")
    event, stdlib = log_lines.read()[-2:]
    assert event["password"] == "[redacted]" and event["text"] == "[redacted]"
    assert event["url"] == "/x?token=[redacted]" and event["note"] == "Bearer [redacted]"
    assert stdlib["event"] == "stdlib line with api_key=[redacted]"
    assert stdlib["level"] == "warning" and stdlib["logger"] == "pitchlab.test"
    for secret in ("hunter2", "said aloud", "SECRET", "eyJsecret", "sk_live"):
        assert secret not in log_lines.text


def test_console_format_for_development(capsys):
    import logging

    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        configure_logging("INFO", "console")
        logging.getLogger("pitchlab.test").info("hello %s", "there")
        line = capsys.readouterr().err.strip()
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
    assert "hello there" in line and "pitchlab.test" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.fixture
async def metered(owner_url, tmp_path):
    """An app whose minutes last 2 s and whose every query counts as slow, behind a server. (At
    0.3 s, a loaded machine could take longer than a minute between the start and the stream's
    admission, which then charges the minute begun meanwhile and refuses the call before it is
    ever logged as started.)"""
    settings = make_settings(owner_url, tmp_path, billing_minute_seconds=2.0, slow_query_ms=0)
    fast = create_app(settings)
    async with running(fast) as (client, base):
        yield fast, client, base


async def test_stream_start_end_and_minutes_charged(metered, owner_url, log_lines):
    app, client, base = metered
    tokens = await rep(client, app, owner_url)
    set_company_quota(owner_url, tokens["email"], total=1)
    session = await start(client, tokens, mode="voice")
    async with connect(ws_url(base, session)) as ws:
        await ws.send(json.dumps(INIT))
        await recv(ws, "agent_response")
        await ws.send(json.dumps({"type": "user_message", "text": TRANSCRIPT_SECRET}))
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.recv()
        assert ws.close_code == 4402  # the quota of one minute ran out

    started, ended = log_lines.events("stream.started"), log_lines.events("stream.ended")
    assert len(ended) == 1, "the stream's end is logged before its close frame is sent"
    assert started[0]["session_id"] == ended[0]["session_id"] == session["id"]
    assert started[0]["mode"] == "voice" and ended[0]["minutes"] == 1
    assert ended[0]["close_code"] == 4402 and ended[0]["duration_s"] > 0
    charged = log_lines.events("billing.minute_charged")
    assert [(c["session_id"], c["minute"]) for c in charged] == [(session["id"], 1)]
    assert "8675309" not in log_lines.text


async def test_slow_queries_name_their_route_and_never_their_parameters(
    metered, owner_url, log_lines
):
    app, client, _ = metered
    tokens = await rep(client, app, owner_url)
    await logged_in(client, tokens["email"])
    log_lines.read()
    me = await client.get("/api/users/me", headers=bearer(tokens))

    slow = [line for line in log_lines.events("db.slow_query")
            if line.get("request_id") == me.headers["x-request-id"]]
    assert slow, "with a threshold of 0 every query of the request is slow"
    assert all(line["route"] == "/api/users/me" for line in slow)
    assert all(line["duration_ms"] >= 0 and line["statement"] for line in slow)
    assert any("FROM users" in line["statement"] for line in slow)
    user_id = me.json()["id"]
    # The user id is a parameter of the query that reads the caller: never in the statement.
    assert all(user_id not in line["statement"] for line in slow)


async def test_webhook_deliveries_refused_and_processed(
    client, app, stripe_secret, handlers, log_lines  # noqa: F811
):
    refused = await deliver(client, stripe_event(RECORDED), signature="t=1,v1=forged")
    accepted = await deliver(client, stripe_event(RECORDED, "evt_logged"))
    assert (refused.status_code, accepted.status_code) == (400, 200)
    await drain_jobs(app)

    [refusal] = log_lines.events("webhook.refused")
    assert refusal["source"] == "stripe" and refusal["request_id"]
    [processed] = log_lines.events("webhook.processed")
    assert processed["event_id"] == "evt_logged" and processed["event_type"] == RECORDED
    assert processed["source"] == "stripe" and processed["outcome"] == "processed"
    assert SECRET not in log_lines.text and "forged" not in log_lines.text


SRC = Path(__file__).resolve().parents[2] / "src"


async def test_the_served_process_writes_json_lines_only(owner_url, tmp_path):
    """``pitchlab serve`` as an operator runs it: every line on stderr is JSON, uvicorn's too,
    and the access line shows the route, not the query string that carried a token."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_env(
        PITCHLAB_DATABASE_URL=owner_url.render_as_string(hide_password=False),
        PITCHLAB_DATABASE_APP_PASSWORD=TEST_APP_PASSWORD,
        PITCHLAB_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pitchlab.cli", "serve", "--port", str(port),
        env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE,
    )
    lines: list[dict] = []

    async def line_with(event: str) -> dict:
        while True:
            raw = await process.stderr.readline()
            assert raw, "the server exited: " + json.dumps(lines)
            lines.append(json.loads(raw))
            if event in lines[-1]["event"]:
                return lines[-1]

    try:
        async with asyncio.timeout(60):
            await line_with("Application startup complete")
            async with httpx.AsyncClient() as client:
                await client.get(f"http://127.0.0.1:{port}/api/plans",
                                 params={"token": "served-secret-token"})
            access = await line_with("http.request")
    finally:
        process.terminate()
        await process.wait()
    assert access["route"] == "/api/plans" and access["status"] == 200
    assert "served-secret-token" not in json.dumps(lines)
