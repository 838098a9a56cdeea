"""Refusals on the stream's upgrade: a bearer token the HTTP API refuses is refused with 4401, and
a domain rule's refusal closes with the code the error catalogue gives it."""

from __future__ import annotations

from websockets.asyncio.client import connect

from pitchlab.http import error_catalogue
from pitchlab.kit.errors import RetryLater
from tests.auth.helpers import bearer
from tests.practice.helpers import closed_with, rep, start


async def test_a_bearer_token_the_api_refuses_is_refused_on_the_stream(
    client, app, owner_url, live_server
):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    url = live_server.replace("http://", "ws://") + f"/api/sessions/{session['id']}/stream"
    token = tokens["access_token"]
    swapped = "B" if token[-10] == "A" else "A"  # inside the signature, away from its padding bits
    forged = {"access_token": token[:-10] + swapped + token[-9:]}
    assert (await client.get("/api/users/me", headers=bearer(forged))).status_code == 401
    async with connect(url, additional_headers=bearer(forged)) as ws:
        assert await closed_with(ws) == 4401
    # logged out everywhere: the token is still well signed, but no longer speaks for its user
    assert (await client.post("/api/auth/logout-all", headers=bearer(tokens))).status_code == 204
    assert (await client.get("/api/users/me", headers=bearer(tokens))).status_code == 401
    async with connect(url, additional_headers=bearer(tokens)) as ws:
        assert await closed_with(ws) == 4401


def test_a_refusal_closes_with_the_catalogues_code(monkeypatch):
    refused = RetryLater("not now", retry_after_seconds=5)
    monkeypatch.setitem(error_catalogue.HTTP_STATUS, RetryLater, 429)
    assert error_catalogue.close_code_of(refused) == 4429  # 4000 + its HTTP status, by default
    monkeypatch.setitem(error_catalogue.WEBSOCKET_CLOSE_CODE, RetryLater, 1013)
    assert error_catalogue.close_code_of(refused) == 1013  # unless the catalogue names a close code
