"""The whole identity flow, through HTTP, on real PostgreSQL."""

from __future__ import annotations

import asyncio

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import (
    JWT_SHAPE,
    PASSWORD,
    bearer,
    drain_jobs,
    latest_verification_token,
    outbox,
    register,
    unique_email,
)


async def test_register_verify_login_me_refresh_logout(client, app, owner_url):
    email = unique_email()
    response = await register(client, email)
    assert response.status_code == 202
    assert response.json()["message"]

    await drain_jobs(app)
    [mail] = outbox(owner_url, email)
    assert mail["kind"] == "verify_email" and mail["status"] == "sent"
    assert mail["provider"] == "outbox"
    assert mail["links"][0].startswith("http://testserver/api/auth/verify-email?token=")

    # not verified yet
    early = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert early.status_code == 403
    assert early.json()["error"]["code"] == "email_not_verified"

    token = latest_verification_token(owner_url, email)
    assert (await client.get("/api/auth/verify-email", params={"token": token})).status_code == 200

    login = await client.post(
        "/api/auth/login", json={"email": email.upper(), "password": PASSWORD}
    )
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    assert JWT_SHAPE.match(tokens["access_token"])

    me = await client.get("/api/users/me", headers=bearer(tokens))
    assert me.status_code == 200
    profile = me.json()
    assert profile["email"] == email and profile["role"] == "admin"
    assert profile["email_verified"] is True
    assert profile["company"]["name"] == "Acme"
    assert profile["company"]["trial_expires_at"]
    assert profile["api_keys"] == {
        "openai": {"configured": False, "last4": None},
        "elevenlabs": {"configured": False, "last4": None},
    }

    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    newer = refreshed.json()
    assert newer["refresh_token"] != tokens["refresh_token"]
    assert (await client.get("/api/users/me", headers=bearer(newer))).status_code == 200

    logout = await client.post("/api/auth/logout", json={"refresh_token": newer["refresh_token"]})
    assert logout.status_code == 204
    after = await client.post("/api/auth/refresh", json={"refresh_token": newer["refresh_token"]})
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "invalid_token"


async def test_a_new_company_gets_the_trial_and_its_quota(client, app, owner_url):
    email = unique_email()
    await register(client, email, company="Trial Co")
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        row = conn.execute(
            "SELECT c.trial_expires_at - c.created_at, q.total_minutes, q.used_minutes, u.role"
            " FROM users u JOIN companies c ON c.id = u.company_id"
            " JOIN minute_quotas q ON q.company_id = c.id WHERE u.email = %s",
            (email,),
        ).fetchone()
    interval, total, used, role = row
    assert round(interval.total_seconds() / 86400) == 14
    assert (total, used, role) == (60, 0, "admin")


async def test_verification_links_work_once_and_expire(client, app, owner_url):
    email = unique_email()
    await register(client, email)
    token = latest_verification_token(owner_url, email)
    assert (await client.get("/api/auth/verify-email", params={"token": token})).status_code == 200
    again = await client.get("/api/auth/verify-email", params={"token": token})
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"
    unknown = await client.get("/api/auth/verify-email", params={"token": "x" * 43})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_token"

    other = unique_email()
    await register(client, other)
    stale = latest_verification_token(owner_url, other)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "UPDATE email_verification_tokens SET expires_at = now() - interval '1 second'"
        )
    expired = await client.get("/api/auth/verify-email", params={"token": stale})
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "invalid_token"


async def test_resend_sends_a_new_link_and_retires_the_old_one(client, app, owner_url):
    email = unique_email()
    await register(client, email)
    first = latest_verification_token(owner_url, email)
    assert (
        await client.post("/api/auth/resend-verification", json={"email": email})
    ).status_code == 202
    second = latest_verification_token(owner_url, email)
    assert second != first
    assert (await client.get("/api/auth/verify-email", params={"token": first})).status_code == 400
    assert (await client.get("/api/auth/verify-email", params={"token": second})).status_code == 200
    # verified: nothing more is sent
    await client.post("/api/auth/resend-verification", json={"email": email})
    assert len([m for m in outbox(owner_url, email) if m["kind"] == "verify_email"]) == 2


async def test_two_registrations_of_one_email_at_once_make_one_account(client, app, owner_url):
    email = unique_email()
    first, second = await asyncio.gather(register(client, email), register(client, email))
    assert first.status_code == second.status_code == 202
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE email = %s", (email,)).fetchone() == (
            1,
        )
        # the loser's company was rolled back with its savepoint
        assert conn.execute("SELECT count(*) FROM companies").fetchone() == (1,)
    kinds = sorted(m["kind"] for m in outbox(owner_url, email))
    assert kinds == ["account_exists", "verify_email"]
