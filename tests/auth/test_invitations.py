"""Joining a company by invitation (the admin endpoint that sends them comes with admin work)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from pitchlab.security.tokens import new_opaque_token
from tests.auth.helpers import PASSWORD, bearer, outbox, signed_up, unique_email


@pytest.fixture
def invitation(owner_url):
    """An open invitation to a company, as the admin endpoint will write it."""
    token, token_hash = new_opaque_token()
    email = unique_email("invitee")
    company_id = uuid.uuid4()
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("INSERT INTO companies (id, name) VALUES (%s, 'Inviting Co')", (company_id,))
        conn.execute(
            "INSERT INTO invitations (company_id, email, role, token_hash, expires_at)"
            " VALUES (%s, %s, 'user', %s, now() + interval '7 days')",
            (company_id, email, token_hash),
        )
    return {"token": token, "email": email, "company_id": company_id}


def _body(invitation, **overrides):
    return {
        "email": invitation["email"],
        "password": PASSWORD,
        "name": "Ivy Invitee",
        "invite_token": invitation["token"],
        **overrides,
    }


async def test_an_invitee_joins_the_company_with_the_invited_role(client, owner_url, invitation):
    response = await client.post("/api/auth/register", json=_body(invitation))
    assert response.status_code == 202
    login = await client.post(
        "/api/auth/login", json={"email": invitation["email"], "password": PASSWORD}
    )
    assert login.status_code == 200  # receiving the invitation proved the address
    me = (await client.get("/api/users/me", headers=bearer(login.json()))).json()
    assert me["role"] == "user"
    assert me["company"]["id"] == str(invitation["company_id"])
    # the invitation is spent
    again = await client.post("/api/auth/register", json=_body(invitation, email=unique_email()))
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_invite"


async def test_an_invitation_is_for_its_own_email_only(client, owner_url, invitation):
    response = await client.post("/api/auth/register", json=_body(invitation, email=unique_email()))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_invite"
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


async def test_unknown_and_expired_invitations_are_refused(client, owner_url, invitation):
    unknown = await client.post("/api/auth/register", json=_body(invitation, invite_token="x" * 43))
    assert unknown.status_code == 400
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE invitations SET expires_at = now() - interval '1 minute'")
    expired = await client.post("/api/auth/register", json=_body(invitation))
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "invalid_invite"


async def test_an_invite_for_an_existing_account_answers_202_and_notifies(
    client, app, owner_url, invitation
):
    # the invitee already has an account: same 202 as ever, a notice instead of a second account

    await signed_up(client, app, owner_url, email=invitation["email"])
    response = await client.post("/api/auth/register", json=_body(invitation))
    assert response.status_code == 202
    assert [m["kind"] for m in outbox(owner_url, invitation["email"])][-1] == "account_exists"
