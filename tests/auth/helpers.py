"""Shared steps of the identity tests, through the public HTTP surface (accounts that a test
only needs signed in are written directly: tests/factories.py)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import psycopg
from typer.testing import CliRunner

from pitchlab.cli import cli
from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.jobs.queue import WorkerResources, run_worker
from pitchlab.security.tokens import new_opaque_token
from tests.factories import confirmed_account

PASSWORD = "correct horse battery"


async def drain_jobs(app) -> None:
    """Run every queued job to completion, as the worker would, then return."""
    context = context_of(app)
    resources = WorkerResources(context.settings, context.database, context.providers)
    await run_worker(context.jobs, resources, wait=False, install_signal_handlers=False)


def unique_email(prefix: str = "rep") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def outbox(owner_url, to: str) -> list[dict]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute(
            "SELECT kind, subject, links, status, text_body, provider FROM email_outbox"
            " WHERE lower(to_address) = lower(%s) ORDER BY created_at", (to,)
        ).fetchall()
    fields = ("kind", "subject", "links", "status", "text", "provider")
    return [dict(zip(fields, r, strict=True)) for r in rows]


def token_from_link(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def latest_verification_token(owner_url, email: str) -> str:
    mails = [m for m in outbox(owner_url, email) if m["kind"] == "verify_email"]
    return token_from_link(mails[-1]["links"][0])


async def register(client, email: str, password: str = PASSWORD, company: str = "Acme"):
    return await client.post("/api/auth/register", json={
        "email": email, "password": password, "name": "Riley Rep", "company_name": company})


async def signed_up(client, app, owner_url, email: str | None = None,
                    password: str = PASSWORD) -> dict:
    """A company admin with a confirmed email, written directly (tests/factories.py), then
    logged in over HTTP; the login body plus the email used. For tests not about sign-up."""
    email = email or unique_email()
    await confirmed_account(app, email=email, password=password)
    return {**await logged_in(client, email, password), "email": email}


async def signed_up_over_http(client, app, owner_url, email: str | None = None,
                              password: str = PASSWORD) -> dict:
    """Register, run the queue (the confirmation email), follow the emailed link and log in, as
    a newcomer does; the login body plus the email used. For tests about signing up."""
    email = email or unique_email()
    assert (await register(client, email, password)).status_code == 202
    await drain_jobs(app)
    token = latest_verification_token(owner_url, email)
    assert (await client.get("/api/auth/verify-email", params={"token": token})).status_code == 200
    return {**await logged_in(client, email, password), "email": email}


async def logged_in(client, email: str, password: str = PASSWORD) -> dict:
    """The body of a successful POST /api/auth/login: the real token code issues the tokens."""
    login = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return login.json()


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def without_request_id(response) -> dict:
    body = response.json()
    body.pop("request_id", None)
    return body


JWT_SHAPE = re.compile(r"^[\w-]+\.[\w-]+\.[\w-]+$")


async def invoke_cli(args: list[str]):
    """Run a ``pitchlab`` command in-process, off the event loop (it runs its own)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, args)


@contextlib.asynccontextmanager
async def client_at(app, ip: str):
    """A client calling from ``ip`` (the ASGI client address the rate limits key on)."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def shift_clock(monkeypatch, seconds: float) -> None:
    """Make the auth service's clock run ``seconds`` ahead (grace periods, without waiting)."""
    from pitchlab.auth import service

    real_now = service._now
    monkeypatch.setattr(service, "_now", lambda: real_now() + timedelta(seconds=seconds))


OPERATOR_EMAIL, OPERATOR_PASSWORD = "ops@example.com", "operator passphrase"


async def signed_in_operator(client, owner_url, monkeypatch, tmp_path) -> httpx.Response:
    """A platform operator made by ``pitchlab create-superadmin`` (the only way there is), then
    signed in over HTTP: the login's response."""
    from tests.conftest import TEST_APP_PASSWORD

    monkeypatch.setenv("PITCHLAB_DATABASE_URL", owner_url.render_as_string(hide_password=False))
    monkeypatch.setenv("PITCHLAB_DATABASE_APP_PASSWORD", TEST_APP_PASSWORD)
    monkeypatch.setenv("PITCHLAB_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    created = await invoke_cli(["create-superadmin", "--email", OPERATOR_EMAIL,
                                "--password", OPERATOR_PASSWORD])
    assert created.exit_code == 0, created.output
    return await client.post("/api/auth/login",
                             json={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})


async def invited_member(
    client, owner_url, of_email: str, role: str = "user", *, voice_consent: bool = True
) -> dict:
    """Somebody who joined the company of ``of_email`` by invitation (a rep, or another admin),
    signed in, and (by default) consenting to voice recording: the login body plus the email."""
    token, token_hash = new_opaque_token()
    email = unique_email(role)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO invitations (company_id, email, role, token_hash, expires_at)"
            " SELECT company_id, %s, %s, %s, now() + interval '7 days' FROM users"
            " WHERE email = %s", (email, role, token_hash, of_email))
    joined = await client.post("/api/auth/register", json={
        "email": email, "password": PASSWORD, "name": "Jo Member", "invite_token": token})
    assert joined.status_code == 202, joined.text
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = {**login.json(), "email": email}
    if voice_consent:
        consent = await client.post("/api/users/me/consents", headers=bearer(tokens), json={
            "kind": "voice_recording", "granted": True, "version": "v1"})
        assert consent.status_code == 201, consent.text
    return tokens
