"""Shared steps of the admin tests: two companies, each with an admin and a rep, and an operator."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import invited_member, signed_in_operator, signed_up, unique_email


@dataclass(frozen=True)
class Company:
    admin: dict  # login body plus "email"
    rep: dict
    id: str


def user_row(owner_url, email: str) -> dict:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        row = conn.execute(
            "SELECT id, company_id, role, disabled_at, token_version FROM users WHERE email = %s",
            (email,),
        ).fetchone()
    assert row is not None, email
    fields = ("id", "company_id", "role", "disabled_at", "token_version")
    return {k: (str(v) if k in ("id", "company_id") and v is not None else v)
            for k, v in zip(fields, row, strict=True)}


async def company(client, app, owner_url, name: str = "acme") -> Company:
    admin = await signed_up(client, app, owner_url, email=unique_email(f"{name}-admin"))
    rep = await invited_member(client, owner_url, admin["email"], voice_consent=False)
    return Company(admin=admin, rep=rep, id=user_row(owner_url, admin["email"])["company_id"])


async def operator(client, owner_url, monkeypatch, tmp_path) -> dict:
    login = await signed_in_operator(client, owner_url, monkeypatch, tmp_path)
    assert login.status_code == 200, login.text
    return login.json()
