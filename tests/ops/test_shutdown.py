"""Graceful shutdown: SIGTERM during a live call ends it by the practice rules (completed, billed,
transcript kept, feedback queued), closes its stream with 1001 and exits 0 within the grace
period; while the server drains, no new call starts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.practice.shutdown import end_streamed_calls
from tests.auth.helpers import bearer
from tests.cli.helpers import clean_env, free_port
from tests.conftest import TEST_APP_PASSWORD
from tests.practice.helpers import rep, start, ws_url

GRACE_SECONDS = 15
PASSWORD = "a long passphrase"
INITIATION = {"type": "conversation_initiation_client_data"}


def _serve(owner_url, tmp_path: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``pitchlab serve`` on a free port against the test database, once it is listening; its
    log lines keep arriving in the returned list."""
    env = clean_env(
        PITCHLAB_DATABASE_URL=owner_url.render_as_string(hide_password=False),
        PITCHLAB_DATABASE_APP_PASSWORD=TEST_APP_PASSWORD,
        PITCHLAB_DATA_DIR=str(tmp_path / "data"),
        PITCHLAB_BCRYPT_ROUNDS="4",
        PITCHLAB_SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS),
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pitchlab.cli", "serve", "--port", str(port)],
        env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True,
    )
    assert process.stderr is not None
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line)
        if "Application startup complete" in line:
            # keep reading, or a chatty server would block on a full pipe
            threading.Thread(target=lambda: seen.extend(process.stderr or ()), daemon=True).start()
            return process, f"http://127.0.0.1:{port}", seen
    raise AssertionError("pitchlab serve exited before it was ready:\n" + "".join(seen))


def _signed_in(base: str, owner_url) -> dict[str, str]:
    email = f"shutdown-{uuid.uuid4().hex[:8]}@example.com"
    registered = httpx.post(f"{base}/api/auth/register", json={
        "email": email, "password": PASSWORD, "name": "Riley Rep", "company_name": "Acme"})
    assert registered.status_code == 202, registered.text
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:  # the emailed link
        conn.execute("UPDATE users SET email_verified_at = now() WHERE email = %s", (email,))
    login = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"authorization": f"Bearer {login.json()['access_token']}"}


def _next_of(ws, kind: str) -> dict:
    for _ in range(20):
        message = json.loads(ws.recv(timeout=10))
        if message.get("type") == kind:
            return message
    raise AssertionError(f"no {kind} message")


def _stored_call(owner_url, session_id: str) -> dict:
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT s.status, s.end_reason, s.minutes_billed, s.feedback_status, t.turns,"
            " (SELECT minutes_used FROM usage_records u WHERE u.session_id = s.id),"
            " (SELECT count(*) FROM procrastinate_jobs j WHERE j.args::text LIKE %s)"
            " FROM sessions s LEFT JOIN transcripts t ON t.session_id = s.id WHERE s.id = %s",
            (f"%{session_id}%", session_id),
        ).fetchone()
    assert row is not None
    keys = ("status", "end_reason", "minutes_billed", "feedback_status", "turns", "usage", "jobs")
    return dict(zip(keys, row, strict=True))


def test_sigterm_during_a_live_call_ends_it_billed_and_exits_0(owner_url, tmp_path):
    process, base, log = _serve(owner_url, tmp_path)
    try:
        auth = _signed_in(base, owner_url)
        started = httpx.post(f"{base}/api/sessions/start", headers=auth,
                             json={"scenario_id": "discovery-busy-vp", "mode": "text"})
        assert started.status_code == 201, started.text
        call = started.json()
        with connect(call["stream"]["url"]) as ws:
            ws.send(json.dumps(INITIATION))
            _next_of(ws, "conversation_initiation_metadata")
            _next_of(ws, "agent_response")  # the prospect's opening line
            ws.send(json.dumps({"type": "user_message",
                                "text": "What is slowing your team down this quarter?"}))
            _next_of(ws, "agent_response")  # its answer: the rep's turn is stored by now

            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                for _ in range(50):
                    ws.recv(timeout=GRACE_SECONDS)
        assert closed.value.rcvd is not None, "no close frame"
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "server shutting down")
        assert process.wait(timeout=GRACE_SECONDS) == 0, "".join(log)
        assert time.monotonic() - signalled < GRACE_SECONDS
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    stored = _stored_call(owner_url, call["id"])
    assert stored["status"] == "completed"
    assert stored["end_reason"] == "server_shutdown"
    assert stored["minutes_billed"] == 1 == stored["usage"]
    said = [(turn["speaker"], turn["text"]) for turn in stored["turns"]]
    assert ("rep", "What is slowing your team down this quarter?") in said
    assert any(speaker == "prospect" for speaker, _ in said)
    # its feedback was queued with the end (and maybe run before the worker stopped)
    assert stored["feedback_status"] in ("pending", "ready")
    assert stored["jobs"] >= 1
    assert "Traceback" not in "".join(log)


async def test_a_draining_server_refuses_new_calls_and_streams(
    app, client, owner_url, live_server, public_url_is_live_server
):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="text")
    context = context_of(app)
    try:
        # what the first SIGTERM starts (shutdown.GracefulServer); no call is live here
        assert await end_streamed_calls(context.database, context.settings,
                                        context.live_streams, deadline=0) == 0
        refused = await client.post("/api/sessions/start", headers=bearer(tokens),
                                    json={"mode": "text"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert refused.json()["error"]["code"] == "service_unavailable"
        assert refused.json()["error"]["details"] == {"retry_after_seconds": 5}

        from websockets.asyncio.client import connect as connect_async

        async with connect_async(ws_url(live_server, session)) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "server shutting down")
        # a load balancer's readiness check takes the process out of rotation
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["error"]["details"] == {"shutdown": "draining"}
    finally:
        context.live_streams.draining = False  # the app serves the rest of the run
    assert (await client.get("/readyz")).status_code == 200
