"""Trying to break identity: enumeration, forged tokens, mass assignment, password edges."""

from __future__ import annotations

import time
import uuid

import jwt
import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import (
    PASSWORD,
    bearer,
    register,
    shift_clock,
    signed_up,
    signed_up_over_http,
    unique_email,
    without_request_id,
)

SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"  # the test settings' JWT secret


async def test_register_answers_alike_for_new_and_taken_emails(client, app, owner_url):
    taken = (await signed_up_over_http(client, app, owner_url))["email"]
    fresh = await register(client, unique_email())
    again = await register(client, taken)
    assert fresh.status_code == again.status_code == 202
    assert without_request_id(fresh) == without_request_id(again)


async def test_resend_answers_alike_for_known_and_unknown_emails(client, app, owner_url):
    known = unique_email()
    await register(client, known)
    a = await client.post("/api/auth/resend-verification", json={"email": known})
    b = await client.post("/api/auth/resend-verification", json={"email": unique_email()})
    assert a.status_code == b.status_code == 202
    assert without_request_id(a) == without_request_id(b)


async def test_login_answers_alike_for_unknown_email_and_wrong_password(client, app, owner_url):
    email = (await signed_up(client, app, owner_url))["email"]
    wrong = await client.post("/api/auth/login", json={"email": email, "password": "wrong pass 1"})
    unknown = await client.post(
        "/api/auth/login", json={"email": unique_email(), "password": "wrong pass 1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert without_request_id(wrong) == without_request_id(unknown)
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def _claims(user_id: str, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": "pitchlab",
        "sub": user_id,
        "type": "access",
        "company_id": None,
        "role": "admin",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


async def _me_status(client, token: str) -> int:
    response = await client.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 401:
        assert response.json()["error"]["code"] == "unauthorized"
    return response.status_code


async def test_forged_and_misused_tokens_are_refused(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    genuine = jwt.decode(tokens["access_token"], SECRET, algorithms=["HS256"], issuer="pitchlab")
    assert await _me_status(client, tokens["access_token"]) == 200

    header_none = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(genuine).encode()).decode()
    assert await _me_status(client, f"{header_none}.{payload}.") == 401

    expired = jwt.encode({**genuine, "exp": int(time.time()) - 5}, SECRET, algorithm="HS256")
    assert await _me_status(client, expired) == 401

    other_key = jwt.encode(genuine, "another-secret-of-sufficient-length!!", algorithm="HS256")
    assert await _me_status(client, other_key) == 401

    as_super = jwt.encode(
        {**genuine, "role": "super_admin"},
        "wrong-key-wrong-key-wrong-key-wrong-key!!",
        algorithm="HS256",
    )
    assert await _me_status(client, as_super) == 401

    assert await _me_status(client, tokens["refresh_token"]) == 401
    refresh_typed = jwt.encode({**genuine, "type": "refresh"}, SECRET, algorithm="HS256")
    assert await _me_status(client, refresh_typed) == 401

    no_header = await client.get("/api/users/me")
    assert no_header.status_code == 401
    assert no_header.headers["www-authenticate"] == "Bearer"

    # an access token is no refresh token either
    swapped = await client.post("/api/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert swapped.status_code == 401


async def test_claims_that_disagree_with_the_database_are_refused(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    genuine = jwt.decode(tokens["access_token"], SECRET, algorithms=["HS256"], issuer="pitchlab")
    # a correctly signed token whose role or company the user does not have (e.g. demoted)
    promoted = jwt.encode({**genuine, "role": "super_admin"}, SECRET, algorithm="HS256")
    assert await _me_status(client, promoted) == 401
    moved = jwt.encode({**genuine, "company_id": str(uuid.uuid4())}, SECRET, algorithm="HS256")
    assert await _me_status(client, moved) == 401


async def test_reusing_a_spent_refresh_token_revokes_the_family(
    client, app, owner_url, monkeypatch
):
    first = await signed_up(client, app, owner_url)
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    ).json()
    shift_clock(monkeypatch, 60)  # past the reuse grace (see test_refresh_grace.py)
    reuse = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    # the token issued from the spent one is dead too
    newer = await client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert newer.status_code == 401
    # another login (another family) is unaffected
    other = await client.post(
        "/api/auth/login", json={"email": first["email"], "password": PASSWORD}
    )
    assert other.status_code == 200


async def test_disabling_a_user_ends_its_tokens_at_once(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE users SET disabled_at = now() WHERE email = %s", (tokens["email"],))
    assert (await client.get("/api/users/me", headers=bearer(tokens))).status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": tokens["email"], "password": PASSWORD}
    )
    assert login.status_code == 403
    assert login.json()["error"]["code"] == "account_disabled"


@pytest.mark.parametrize(
    "field",
    [
        {"role": "super_admin"},
        {"company_id": str(uuid.uuid4())},
        {"email_verified": False},
        {"email": "new@example.com"},
        {"total_minutes": 99999},
        {"hashed_password": "x"},
    ],
    ids=lambda f: next(iter(f)),
)
async def test_protected_fields_are_422_and_change_nothing(client, app, owner_url, field):
    tokens = await signed_up(client, app, owner_url)
    before = (await client.get("/api/users/me", headers=bearer(tokens))).json()
    response = await client.put(
        "/api/users/me", headers=bearer(tokens), json={"name": "Changed", **field}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    after = (await client.get("/api/users/me", headers=bearer(tokens))).json()
    assert after == before


async def test_stored_password_hash_is_bcrypt_cost_12_or_more(at_default_cost, owner_url):
    client, app = at_default_cost
    email = (await signed_up_over_http(client, app, owner_url))["email"]
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        (hashed,) = conn.execute(
            "SELECT hashed_password FROM users WHERE email = %s", (email,)
        ).fetchone()
    prefix, cost = hashed.split("$")[1:3]
    assert prefix == "2b" and int(cost) >= 12
    assert PASSWORD not in hashed


async def test_passwords_beyond_72_bytes_are_refused_not_truncated(client, owner_url):
    base = "p" * 72
    for password in (base + "A", base + "B", "é" * 37):  # 73, 73 and 74 bytes
        response = await register(client, unique_email(), password=password)
        assert response.status_code == 422
        assert "password" in str(response.json()["error"]["details"])
    assert (await register(client, unique_email(), password="short")).status_code == 422
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD, "name": "N", "company_name": "C"},
        {"email": "a@example.com", "password": PASSWORD, "name": "N"},
        {
            "email": "a@example.com",
            "password": PASSWORD,
            "name": "N",
            "company_name": "C",
            "invite_token": "x" * 20,
        },
        {"email": "a@example.com", "password": PASSWORD, "name": " ", "company_name": "C"},
        {
            "email": "a@example.com",
            "password": PASSWORD,
            "name": "N",
            "company_name": "C",
            "role": "super_admin",
        },
    ],
    ids=["bad-email", "no-company-no-invite", "both", "blank-name", "role"],
)
async def test_bad_registrations_are_422_and_create_nothing(client, owner_url, body):
    assert (await client.post("/api/auth/register", json=body)).status_code == 422
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM companies").fetchone() == (0,)
