"""What happens to a live call when, mid-call, the account is erased (issue 8, item 4), the
voice-recording consent is withdrawn (item 10) or the database goes away (item 6)."""

from __future__ import annotations

import json

import psycopg
import pytest
from websockets.asyncio.client import connect

from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, bearer, invited_member
from tests.conftest import make_settings
from tests.fakes.http_server import running
from tests.fakes.tcp_proxy import through
from tests.practice.helpers import (
    INIT,
    closed_with,
    errors_in,
    eventually,
    opened,
    recv,
    rep,
    start,
    ws_url,
)

MINUTE = 0.25


@pytest.fixture
async def fast_minutes(owner_url, tmp_path):
    """An app whose billed minute lasts a quarter of a second, behind its own server."""
    fast = create_app(make_settings(owner_url, tmp_path, billing_minute_seconds=MINUTE))
    async with running(fast) as (client, base):
        yield fast, client, base


async def colleague(client, owner_url, of_email: str) -> dict:
    """A second rep of the same company (joined by invitation), signed in, consenting to voice."""
    return await invited_member(client, owner_url, of_email)


def company_ledger(owner_url, email: str) -> tuple[int, int, list[tuple]]:
    """(quota used, sum of usage rows, the usage rows) of the company ``email`` belongs to."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        company = conn.execute("SELECT company_id FROM users WHERE email = %s", (email,)).fetchone()
        used = conn.execute("SELECT used_minutes FROM minute_quotas WHERE company_id = %s"
                            " AND user_id IS NULL", company).fetchone()[0]
        rows = conn.execute("SELECT user_id, session_id, minutes_used FROM usage_records"
                            " WHERE company_id = %s", company).fetchall()
    return used, sum(r[2] for r in rows), rows


def minutes_billed(owner_url, session_id: str) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        row = conn.execute("SELECT minutes_billed FROM sessions WHERE id = %s",
                           (session_id,)).fetchone()
    return row[0] if row else -1


# --- item 4: erasure ------------------------------------------------------------------------

async def test_erasing_an_account_mid_call_bills_the_call_and_keeps_its_usage_row(
    fast_minutes, owner_url
):
    app, client, base = fast_minutes
    admin = await rep(client, app, owner_url)
    leaver = await colleague(client, owner_url, admin["email"])  # the company outlives the leaver
    session = await start(client, leaver, mode="voice")
    async with opened(base, session) as ws:
        await eventually(lambda: minutes_billed(owner_url, session["id"]) >= 3, within=10)
        gone = await client.request("DELETE", "/api/users/me", headers=bearer(leaver),
                                    json={"password": PASSWORD})
        assert gone.status_code == 204
        assert await closed_with(ws, within=10) == 1000  # the stream ends with the call
    used, billed, rows = company_ledger(owner_url, admin["email"])
    assert used == billed >= 3
    # the call's row, unlinked from the erased user and from the erased session
    assert rows == [(None, None, billed)]


# --- item 10: consent withdrawn --------------------------------------------------------------

async def _turns(client, tokens, session) -> list[tuple[str, str]]:
    response = await client.get(f"/api/sessions/{session['id']}/transcript", headers=bearer(tokens))
    body = response.json()
    return [(t["speaker"], t["text"]) for t in body["turns"]]


async def test_withdrawing_voice_consent_mid_call_closes_the_stream_with_4403(
    client, app, owner_url, live_server
):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    async with opened(live_server, session) as ws:
        await ws.send(json.dumps({"type": "user_message", "text": "How do you ramp reps today?"}))
        await recv(ws, "agent_response", within=10)
        said = await _turns(client, tokens, session)
        withdrawn = await client.post("/api/users/me/consents", headers=bearer(tokens), json={
            "kind": "voice_recording", "granted": False, "version": "v2"})
        assert withdrawn.status_code == 201
        assert await closed_with(ws, within=10) == 4403
    assert await _turns(client, tokens, session) == said  # nothing more was recorded
    # the call itself stays live, to be ended (or swept) and billed for what ran
    live = (await client.get(f"/api/sessions/{session['id']}", headers=bearer(tokens))).json()
    assert live["status"] == "in_progress"


async def test_a_stream_on_another_process_records_nothing_after_the_withdrawal(
    client, app, owner_url, fast_minutes
):
    """The withdrawal is recorded by one process (``app``) while another (``other``) serves the
    stream and knows nothing of it: the next turn is not written, and the stream ends with 4403."""
    _, _, other_base = fast_minutes
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    async with opened(other_base, session) as ws:
        await ws.send(json.dumps({"type": "user_message", "text": "What matters most to you?"}))
        await recv(ws, "agent_response", within=10)
        said = await _turns(client, tokens, session)
        withdrawn = await client.post("/api/users/me/consents", headers=bearer(tokens), json={
            "kind": "voice_recording", "granted": False, "version": "v2"})
        assert withdrawn.status_code == 201
        await ws.send(json.dumps({"type": "user_message", "text": "Off the record, then?"}))
        assert await closed_with(ws, within=10) == 4403
    assert await _turns(client, tokens, session) == said


# --- item 6: the database goes away ---------------------------------------------------------


@pytest.fixture
async def behind_proxy(owner_url, proxy, tmp_path):
    """An app whose database connections go through ``proxy``, behind its own server."""
    proxied = through(owner_url, proxy)
    app = create_app(make_settings(proxied, tmp_path, database_connect_timeout_seconds=2))
    async with running(app) as (client, base):
        yield app, client, base


async def test_the_stream_closes_with_1013_while_the_database_is_unreachable(
    behind_proxy, proxy, owner_url, server_logs
):
    app, client, base = behind_proxy
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    url = ws_url(base, session).split("?")[0]

    await proxy.stop()
    async with connect(ws_url(base, session)) as ws:  # the ticket cannot even be checked
        assert await closed_with(ws, within=10) == 1013
    await proxy.start()

    async with connect(url, additional_headers=bearer(tokens)) as ws:
        await ws.send(json.dumps(INIT))
        await recv(ws, "agent_response", within=10)
        await proxy.stop()  # mid-call: the next turn cannot be written
        await ws.send(json.dumps({"type": "user_message", "text": "Still there?"}))
        assert await closed_with(ws, within=10) == 1013
    await proxy.start()

    assert not errors_in(server_logs)  # no error, no traceback per stream
    # the call is still live and can be picked up again
    live = (await client.get(f"/api/sessions/{session['id']}", headers=bearer(tokens))).json()
    assert live["status"] == "in_progress"
