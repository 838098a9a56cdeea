"""Access tokens end at once with logout, a password change and "log out everywhere"
(issue 8, item 7): each carries the user's token version, checked on every request."""

from __future__ import annotations

import json

import jwt
import psycopg
from websockets.asyncio.client import connect

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, bearer, signed_up
from tests.practice.helpers import INIT, closed_with, rep, start

SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"  # the test settings' JWT secret


async def _me(client, tokens: dict) -> int:
    return (await client.get("/api/users/me", headers=bearer(tokens))).status_code


async def _login(client, email: str, password: str = PASSWORD) -> dict:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def _refresh(client, tokens: dict):
    return await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


async def test_logout_ends_the_users_access_tokens_at_once(client, app, owner_url):
    laptop = await signed_up(client, app, owner_url)
    phone = await _login(client, laptop["email"])
    assert await _me(client, laptop) == 200 and await _me(client, phone) == 200

    logout = await client.post("/api/auth/logout", json={"refresh_token": laptop["refresh_token"]})
    assert logout.status_code == 204
    # access tokens issued before the logout are dead now, not in 15 minutes
    assert await _me(client, laptop) == 401
    assert await _me(client, phone) == 401
    assert (await _refresh(client, laptop)).status_code == 401
    # the other device's family lives on: it gets a fresh access token that works
    renewed = await _refresh(client, phone)
    assert renewed.status_code == 200
    assert await _me(client, renewed.json()) == 200
    # signing in again after the logout works: the new token carries the bumped version
    again = await _login(client, laptop["email"])
    assert await _me(client, again) == 200


async def test_logout_with_an_unknown_or_ended_token_changes_nothing(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    unknown = await client.post("/api/auth/logout", json={"refresh_token": "not-a-real-token"})
    assert unknown.status_code == 204
    assert await _me(client, tokens) == 200
    other = await _login(client, tokens["email"])
    assert (
        await client.post("/api/auth/logout", json={"refresh_token": other["refresh_token"]})
    ).status_code == 204
    fresh = await _refresh(client, tokens)
    # logging out an ended family again must not end the tokens issued since
    assert (
        await client.post("/api/auth/logout", json={"refresh_token": other["refresh_token"]})
    ).status_code == 204
    assert await _me(client, fresh.json()) == 200


async def test_a_password_change_ends_every_access_token(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    other_device = await _login(client, tokens["email"])
    changed = await client.put(
        "/api/users/me",
        headers=bearer(tokens),
        json={"current_password": PASSWORD, "new_password": "brand new pass"},
    )
    assert changed.status_code == 200
    assert await _me(client, tokens) == 401
    assert await _me(client, other_device) == 401
    assert (await _refresh(client, other_device)).status_code == 401
    fresh = await _login(client, tokens["email"], "brand new pass")
    assert await _me(client, fresh) == 200


async def test_logout_all_ends_every_family_and_access_token(client, app, owner_url):
    first = await signed_up(client, app, owner_url)
    second = await _login(client, first["email"])
    rotated = (await _refresh(client, second)).json()
    bystander = await signed_up(client, app, owner_url)

    assert (await client.post("/api/auth/logout-all")).status_code == 401
    response = await client.post("/api/auth/logout-all", headers=bearer(first))
    assert response.status_code == 204 and response.content == b""

    for tokens in (first, second, rotated):
        assert await _me(client, tokens) == 401
        assert (await _refresh(client, tokens)).status_code == 401
    assert (await client.post("/api/auth/logout-all", headers=bearer(first))).status_code == 401
    # nobody else is touched, and signing in again works
    assert await _me(client, bystander) == 200
    assert await _me(client, await _login(client, first["email"])) == 200
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        live = conn.execute(
            "SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE u.email = %s AND t.revoked_at IS NULL",
            (first["email"],),
        ).fetchone()[0]
    assert live == 1  # the login just now


async def test_every_access_token_carries_the_version_it_was_issued_under(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    claims = jwt.decode(tokens["access_token"], SECRET, algorithms=["HS256"], issuer="pitchlab")
    assert claims["ver"] == 0
    await client.post("/api/auth/logout-all", headers=bearer(tokens))
    claims = jwt.decode(
        (await _login(client, tokens["email"]))["access_token"],
        SECRET,
        algorithms=["HS256"],
        issuer="pitchlab",
    )
    assert claims["ver"] == 1
    # a correctly signed token claiming a version the user is not at is refused as well
    ahead = jwt.encode({**claims, "ver": 2}, SECRET, algorithm="HS256")
    assert await _me(client, {"access_token": ahead}) == 401
    odd = jwt.encode({**claims, "ver": "1"}, SECRET, algorithm="HS256")
    assert await _me(client, {"access_token": odd}) == 401


async def test_the_stream_and_the_sdk_entry_refuse_a_logged_out_token(
    client, app, owner_url, live_server
):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    url = live_server.replace("http://", "ws://") + f"/api/sessions/{session['id']}/stream"
    await client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})

    async with connect(url, additional_headers=bearer(tokens)) as ws:
        assert await closed_with(ws) == 4401
    signed = await client.get(
        "/v1/convai/conversation/get-signed-url",
        params={"agent_id": session["id"]},
        headers={"xi-api-key": tokens["access_token"]},
    )
    assert signed.status_code == 401

    fresh = await _login(client, tokens["email"])
    async with connect(url, additional_headers=bearer(fresh)) as ws:
        await ws.send(json.dumps(INIT))
        assert "conversation_initiation_metadata" in await ws.recv()


async def test_a_login_overtaken_by_a_password_change_opens_no_session(
    client, app, owner_url, monkeypatch
):
    """The password is checked (slow bcrypt) before the tokens are issued; a password change
    committed in between must not leave a new session behind for the old password."""
    from pitchlab.security import passwords

    tokens = await signed_up(client, app, owner_url)
    check = passwords.verify_password_async

    async def overtaken(password: str, hashed: str) -> bool:
        correct = await check(password, hashed)
        if password == PASSWORD:  # the owner changes the password while the login checks it
            with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
                conn.execute(
                    "UPDATE users SET hashed_password = 'changed', "
                    "token_version = token_version + 1 WHERE email = %s",
                    (tokens["email"],),
                )
        return correct

    monkeypatch.setattr(passwords, "verify_password_async", overtaken)
    response = await client.post(
        "/api/auth/login", json={"email": tokens["email"], "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        live = conn.execute(
            "SELECT count(*) FROM refresh_tokens r JOIN users u ON u.id = r.user_id"
            " WHERE u.email = %s AND r.revoked_at IS NULL AND r.used_at IS NULL",
            (tokens["email"],),
        ).fetchone()[0]
    assert live == 1  # only the session from before (the change itself revokes nothing here)
