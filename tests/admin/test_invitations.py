"""POST /api/admin/invitations: an admin invites into their own company, an operator into the
company they name; the invitee's emailed token signs them up into it with the role given."""

from __future__ import annotations

import re
import uuid

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator, user_row
from tests.auth.helpers import PASSWORD, bearer, drain_jobs, outbox, unique_email

TOKEN = re.compile(r"invite_token: (\S+)")


def invitations_to(owner_url, email: str) -> list[tuple]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT company_id::text, role, invited_by::text FROM invitations WHERE email = %s",
            (email.lower(),),
        ).fetchall()


async def invite(client, tokens, **body):
    return await client.post("/api/admin/invitations", headers=bearer(tokens), json=body)


async def test_an_admin_invites_and_the_invitee_joins_with_the_emailed_token(
    client, app, owner_url
):
    a = await company(client, app, owner_url)
    email = unique_email("newbie")
    response = await invite(client, a.admin, email=email, role="admin")
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) >= {"id", "email", "role", "company_id", "expires_at"}
    assert (body["email"], body["role"], body["company_id"]) == (email, "admin", a.id)
    await drain_jobs(app)
    [mail] = [m for m in outbox(owner_url, email) if m["kind"] == "invitation"]
    assert mail["status"] == "sent"
    token = TOKEN.search(mail["text"] or "")
    assert token, mail
    joined = await client.post("/api/auth/register", json={
        "email": email, "password": PASSWORD, "name": "New Bie", "invite_token": token.group(1)})
    assert joined.status_code == 202, joined.text
    row = user_row(owner_url, email)
    assert (row["company_id"], row["role"]) == (a.id, "admin")
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200


async def test_a_rep_cannot_invite(client, app, owner_url):
    a = await company(client, app, owner_url)
    email = unique_email()
    response = await invite(client, a.rep, email=email, role="user")
    assert response.status_code == 403
    assert invitations_to(owner_url, email) == []


async def test_nobody_is_invited_as_super_admin_and_bad_bodies_are_422(client, app, owner_url):
    a = await company(client, app, owner_url)
    email = unique_email()
    for body in ({"email": email, "role": "super_admin"}, {"email": "not-an-email", "role": "user"},
                 {"email": email}, {"email": email, "role": "user", "disabled": True}):
        response = await invite(client, a.admin, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert invitations_to(owner_url, email) == []


async def test_an_admin_cannot_invite_into_another_company(client, app, owner_url):
    a = await company(client, app, owner_url, "a")
    b = await company(client, app, owner_url, "b")
    email = unique_email()
    response = await invite(client, a.admin, email=email, role="user", company_id=b.id)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "not_found"
    assert invitations_to(owner_url, email) == []
    assert outbox(owner_url, email) == []


async def test_a_colleagues_address_is_taken(client, app, owner_url):
    a = await company(client, app, owner_url)
    response = await invite(client, a.admin, email=a.rep["email"].upper(), role="user")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


async def test_an_operator_must_name_the_company(client, app, owner_url, monkeypatch, tmp_path):
    b = await company(client, app, owner_url, "b")
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    email = unique_email()
    missing = await invite(client, ops, email=email, role="user")
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "company_required"
    unknown = await invite(client, ops, email=email, role="user", company_id=str(uuid.uuid4()))
    assert unknown.status_code == 404
    assert invitations_to(owner_url, email) == []
    made = await invite(client, ops, email=email, role="user", company_id=b.id)
    assert made.status_code == 201, made.text
    ops_id = user_row(owner_url, "ops@example.com")["id"]
    assert invitations_to(owner_url, email) == [(b.id, "user", ops_id)]


async def test_invitations_to_one_address_are_rate_limited(client, app, owner_url):
    a = await company(client, app, owner_url)
    email = unique_email()
    answers = [(await invite(client, a.admin, email=email, role="user")).status_code
               for _ in range(4)]
    assert answers == [201, 201, 201, 429]
    assert len(invitations_to(owner_url, email)) == 3
