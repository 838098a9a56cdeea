"""Lookalike addresses (issue 8, item 12): compared on their NFKC case-folded form, so fullwidth
letters, ligatures and case find the one account; mixed-script local parts are refused."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from pitchlab.security.emails import canonical_email, has_mixed_script_local_part
from tests.auth.helpers import (
    PASSWORD,
    bearer,
    drain_jobs,
    outbox,
    register,
    signed_up,
    without_request_id,
)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _accounts(owner_url, canonical: str) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT count(*) FROM users WHERE email_canonical = %s",
                            (canonical,)).fetchone()[0]


@pytest.mark.parametrize("lookalike", [
    lambda local: f"{_fullwidth(local)}@example.com",            # ｍe-1a2b@example.com
    lambda local: f"{local.upper()}@EXAMPLE.com",                  # case
    lambda local: f"{local.replace('fi', 'ﬁ')}@example.com",        # the ﬁ ligature
])
async def test_a_lookalike_finds_the_one_account(client, app, owner_url, lookalike):
    local = f"fine-{uuid.uuid4().hex[:6]}"
    owner = await signed_up(client, app, owner_url, email=f"{local}@example.com")
    address = lookalike(local)
    assert address != owner["email"]

    fresh = await register(client, f"new-{uuid.uuid4().hex[:6]}@example.com")
    again = await register(client, address)
    assert again.status_code == 202
    assert without_request_id(again) == without_request_id(fresh)
    assert _accounts(owner_url, owner["email"]) == 1
    await drain_jobs(app)
    # the owner is told, at the address they registered
    assert [m["kind"] for m in outbox(owner_url, owner["email"])][-1] == "account_exists"

    login = await client.post("/api/auth/login", json={"email": address, "password": PASSWORD})
    assert login.status_code == 200
    me = await client.get("/api/users/me", headers=bearer(login.json()))
    mine = await client.get("/api/users/me", headers=bearer(owner))
    assert me.json()["id"] == mine.json()["id"]


@pytest.mark.parametrize("address", [
    "p\u0430ypal-{}@example.com",      # Cyrillic а among Latin letters
    "\u0430dmin-{}@example.com",       # Cyrillic first letter
    "\u03bfscar-{}@example.com",       # Greek omicron
])
async def test_a_mixed_script_local_part_is_refused(client, owner_url, address):
    address = address.format(uuid.uuid4().hex[:6])
    response = await register(client, address)
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["details"]["errors"][0]["loc"] == ["body", "email"]
    assert _accounts(owner_url, canonical_email(address)) == 0


async def test_one_script_beyond_latin_is_an_address_like_any_other(client, owner_url):
    address = f"\u0438\u0432\u0430\u043d-{uuid.uuid4().int % 10**8}@example.com"  # иван-12…
    assert (await register(client, address)).status_code == 202
    assert _accounts(owner_url, canonical_email(address)) == 1


def test_canonical_forms():
    assert canonical_email("ＭＥ@ＥＸＡＭＰＬＥ．ＣＯＭ") == "me@example.com"
    assert canonical_email("ﬁnance@example.com") == "finance@example.com"
    assert canonical_email("Straße@example.com") == "strasse@example.com"
    assert not has_mixed_script_local_part("山田taro@example.jp")  # written together
    assert not has_mixed_script_local_part("jean-luc.o'neil+1@example.com")
    assert has_mixed_script_local_part("p\u0430ypal@example.com")
