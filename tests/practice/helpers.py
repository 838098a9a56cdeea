"""Shared steps of the practice-session tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time

import psycopg
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.uri import parse_uri

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer, drain_jobs, signed_up


async def rep(client, app, owner_url, *, consent: bool = True) -> dict:
    """A verified company admin, signed in, with (by default) voice-recording consent."""
    tokens = await signed_up(client, app, owner_url)
    if consent:
        response = await client.post(
            "/api/users/me/consents",
            headers=bearer(tokens),
            json={"kind": "voice_recording", "granted": True, "version": "v1"},
        )
        assert response.status_code == 201
    return tokens


async def start(client, tokens, **body) -> dict:
    response = await client.post("/api/sessions/start", headers=bearer(tokens), json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def finished_text_call(client, app, tokens, *lines: str, **start_body) -> str:
    """A text call in which the rep typed ``lines``, ended, its feedback job run: its id."""
    sid = (await start(client, tokens, mode="text", **start_body))["id"]
    for line in lines:
        said = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                                 json={"text": line})
        assert said.status_code == 200, said.text
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    assert ended.status_code == 200, ended.text
    await drain_jobs(app)
    return sid


def set_company_quota(owner_url, email: str, total: int, used: int = 0) -> None:
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "UPDATE minute_quotas SET total_minutes = %s, used_minutes = %s WHERE user_id IS NULL"
            " AND company_id = (SELECT company_id FROM users WHERE email = %s)",
            (total, used, email),
        )


def quota_and_usage(owner_url, email: str) -> tuple[int, int, int]:
    """(total, used, sum of usage rows) for the user's company."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT q.total_minutes, q.used_minutes,"
            " (SELECT coalesce(sum(minutes_used), 0) FROM usage_records r"
            "  WHERE r.company_id = q.company_id)"
            " FROM minute_quotas q"
            " JOIN users u ON u.company_id = q.company_id AND q.user_id IS NULL"
            " WHERE u.email = %s",
            (email,),
        ).fetchone()


def ndjson(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


# --- the stream ---------------------------------------------------------------------------

INIT = {
    "type": "conversation_initiation_client_data",
    "conversation_config_override": {},
    "dynamic_variables": {},
    "custom_llm_extra_body": {},
}


def ws_url(base: str, session: dict, ticket: str | None = None) -> str:
    ticket = session["stream"]["ticket"] if ticket is None else ticket
    return (
        base.replace("http://", "ws://") + f"/api/sessions/{session['id']}/stream?ticket={ticket}"
    )


async def recv(ws, kind: str, limit: int = 10, *, within: float | None = None) -> dict:
    """The next message of ``kind``, skipping others (status updates and the like), failing
    after ``within`` seconds when given."""
    async with asyncio.timeout(within):
        for _ in range(limit):
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return message
    raise AssertionError(f"no {kind} message")


async def closed_with(ws, *, within: float | None = None) -> int:
    """The close code, once the server has closed the stream (failing after ``within`` s)."""
    async with asyncio.timeout(within):
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


# --- a client that stops reading ------------------------------------------------------------

TCP_ESTABLISHED = 1


class NonReadingClient:
    """A WebSocket client on a raw socket that reads the handshake and then never reads again.

    Its receive buffer is made tiny (SO_RCVBUF, set before connecting, since the TCP window is
    agreed at the handshake), so whatever the server sends backs up after a few kilobytes: the
    server's writes stall as they would behind a phone in a tunnel or a hostile script.
    """

    def __init__(self, sock: socket.socket, protocol: ClientProtocol) -> None:
        self.sock = sock
        self.protocol = protocol
        self.loop = asyncio.get_running_loop()

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, url: str):
        uri = parse_uri(url)
        protocol = ClientProtocol(uri)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # the kernel's minimum
        sock.setblocking(False)
        try:
            loop = asyncio.get_running_loop()
            await loop.sock_connect(sock, (uri.host, uri.port))
            protocol.send_request(protocol.connect())
            await loop.sock_sendall(sock, b"".join(protocol.data_to_send()))
            client = cls(sock, protocol)
            await client._read_handshake_response()
            yield client
        finally:
            sock.close()

    async def _read_handshake_response(self) -> None:
        # Byte by byte, so that not one byte after the 101 response is read.
        while self.protocol.state is State.CONNECTING:
            byte = await self.loop.sock_recv(self.sock, 1)
            assert byte, "the server closed during the handshake"
            self.protocol.receive_data(byte)
        [response] = self.protocol.events_received()
        assert response.status_code == 101

    async def send_text(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        await self.loop.sock_sendall(self.sock, b"".join(self.protocol.data_to_send()))

    def tcp_state(self) -> int:
        """The connection's TCP state, read from the kernel without reading any data (Linux)."""
        return self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]

    def cut_by_server(self) -> bool:
        """True once the server has ended the connection (a reset or a FIN), though nothing was
        read: with data still unread on both sides, only an abort ends it."""
        return self.tcp_state() != TCP_ESTABLISHED


async def eventually(condition, *, within: float, every: float = 0.05) -> None:
    """Poll ``condition`` (a callable, sync or async) until it holds, or fail after ``within``."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s: {condition}")
        await asyncio.sleep(every)


def errors_in(logs) -> list[logging.LogRecord]:
    """The error records, and any record with a traceback, among caplog's."""
    return [r for r in logs.records if r.levelno >= logging.ERROR or r.exc_info]
