"""Shared steps of the practice-session tests."""

from __future__ import annotations

import contextlib
import json

import psycopg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer, signed_up


async def rep(client, app, owner_url, *, consent: bool = True) -> dict:
    """A verified company admin, signed in, with (by default) voice-recording consent."""
    tokens = await signed_up(client, app, owner_url)
    if consent:
        response = await client.post("/api/users/me/consents", headers=bearer(tokens),
                                     json={"kind": "voice_recording", "granted": True, "version": "v1"})
        assert response.status_code == 201
    return tokens


async def start(client, tokens, **body) -> dict:
    response = await client.post("/api/sessions/start", headers=bearer(tokens), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def set_company_quota(owner_url, email: str, total: int, used: int = 0) -> None:
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "UPDATE minute_quotas SET total_minutes = %s, used_minutes = %s WHERE user_id IS NULL"
            " AND company_id = (SELECT company_id FROM users WHERE email = %s)", (total, used, email)
        )


def quota_and_usage(owner_url, email: str) -> tuple[int, int, int]:
    """(total, used, sum of usage rows) for the user's company."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT q.total_minutes, q.used_minutes,"
            " (SELECT coalesce(sum(minutes_used), 0) FROM usage_records r WHERE r.company_id = q.company_id)"
            " FROM minute_quotas q JOIN users u ON u.company_id = q.company_id AND q.user_id IS NULL"
            " WHERE u.email = %s", (email,)
        ).fetchone()


def ndjson(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


# --- the stream ---------------------------------------------------------------------------

INIT = {"type": "conversation_initiation_client_data", "conversation_config_override": {},
        "dynamic_variables": {}, "custom_llm_extra_body": {}}


def ws_url(base: str, session: dict, ticket: str | None = None) -> str:
    ticket = session["stream"]["ticket"] if ticket is None else ticket
    return base.replace("http://", "ws://") + f"/api/sessions/{session['id']}/stream?ticket={ticket}"


async def recv(ws, kind: str, limit: int = 10) -> dict:
    """The next message of ``kind``, skipping others (status updates and the like)."""
    for _ in range(limit):
        message = json.loads(await ws.recv())
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


async def closed_with(ws) -> int:
    with contextlib.suppress(ConnectionClosed):
        while True:
            await ws.recv()
    return ws.close_code


@contextlib.asynccontextmanager
async def opened(base: str, session: dict):
    """A stream past its handshake: metadata and the agent's first message received."""
    async with connect(ws_url(base, session)) as ws:
        await ws.send(json.dumps(INIT))
        await recv(ws, "agent_response")
        yield ws
