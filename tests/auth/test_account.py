"""The signed-in user's account: profile, password, API keys, consents, export, erasure."""

from __future__ import annotations

import json
import uuid

import httpx
import psycopg
import pytest

from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.security.vault import VaultError
from tests.auth.helpers import (
    PASSWORD,
    bearer,
    drain_jobs,
    invoke_cli,
    outbox,
    signed_in_operator,
    signed_up,
    signed_up_over_http,
)
from tests.conftest import TEST_APP_PASSWORD, TEST_ENCRYPTION_KEYS, make_settings

OPENAI_KEY = "sk-test-THIS-IS-A-SECRET-openai-key-9f3a"
ELEVEN_KEY = "xi-eleven-SECRET-key-7b2c"


def _stored_api_keys(owner_url, email: str):
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT api_keys::text FROM users WHERE email = %s", (email,)
        ).fetchone()[0]


async def test_name_change(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    response = await client.put("/api/users/me", headers=bearer(tokens), json={"name": "Sam"})
    assert response.status_code == 200
    assert response.json()["name"] == "Sam"
    unnamed = await client.put("/api/users/me", headers=bearer(tokens), json={"name": None})
    assert unnamed.status_code == 422


async def test_password_change_needs_the_current_password_and_ends_other_sessions(
    client, app, owner_url
):
    tokens = await signed_up(client, app, owner_url)
    new = "brand new pass"
    wrong = await client.put("/api/users/me", headers=bearer(tokens),
                             json={"current_password": "not it at all", "new_password": new})
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "invalid_current_password"
    missing = await client.put("/api/users/me", headers=bearer(tokens), json={"new_password": new})
    assert missing.status_code == 422
    ok = await client.put("/api/users/me", headers=bearer(tokens),
                          json={"current_password": PASSWORD, "new_password": new})
    assert ok.status_code == 200
    old_login = await client.post("/api/auth/login",
                                  json={"email": tokens["email"], "password": PASSWORD})
    assert old_login.status_code == 401
    new_login = await client.post("/api/auth/login",
                                  json={"email": tokens["email"], "password": new})
    assert new_login.status_code == 200
    stale_refresh = await client.post("/api/auth/refresh",
                                      json={"refresh_token": tokens["refresh_token"]})
    assert stale_refresh.status_code == 401


async def test_api_keys_are_stored_encrypted_and_only_last4_comes_back(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    response = await client.put("/api/users/me", headers=bearer(tokens),
                                json={"api_keys": {"openai": OPENAI_KEY, "elevenlabs": ELEVEN_KEY}})
    assert response.status_code == 200
    assert response.json()["api_keys"] == {
        "openai": {"configured": True, "last4": "9f3a"},
        "elevenlabs": {"configured": True, "last4": "7b2c"},
    }
    assert OPENAI_KEY not in response.text and ELEVEN_KEY not in response.text
    stored = _stored_api_keys(owner_url, tokens["email"])
    assert OPENAI_KEY not in stored and ELEVEN_KEY not in stored and '"kid": "t1"' in stored

    # the sealed key opens only for its own user and provider
    user_id = response.json()["id"]
    vault = context_of(app).vault
    sealed = json.loads(stored)
    assert vault.open(uuid.UUID(user_id), "openai", sealed["openai"]) == OPENAI_KEY
    with pytest.raises(VaultError, match="does not decrypt"):
        vault.open(uuid.UUID(user_id), "elevenlabs", sealed["openai"])
    with pytest.raises(VaultError, match="does not decrypt"):
        vault.open(uuid.uuid4(), "openai", sealed["openai"])

    # null deletes one key; leaving a key out keeps it
    response = await client.put("/api/users/me", headers=bearer(tokens),
                                json={"api_keys": {"openai": None}})
    assert response.json()["api_keys"]["openai"] == {"configured": False, "last4": None}
    assert response.json()["api_keys"]["elevenlabs"]["configured"] is True


@pytest.mark.parametrize("bad", ["short", "has spaces in it ok", "ünïcode-key-value", "x" * 513])
async def test_malformed_api_keys_are_422(client, app, owner_url, bad):
    tokens = await signed_up(client, app, owner_url)
    response = await client.put("/api/users/me", headers=bearer(tokens),
                                json={"api_keys": {"openai": bad}})
    assert response.status_code == 422
    assert bad not in response.text
    assert _stored_api_keys(owner_url, tokens["email"]) is None


async def test_keys_rotate_reseals_every_key_under_the_newest(
    client, app, owner_url, monkeypatch, tmp_path
):
    tokens = await signed_up(client, app, owner_url)
    await client.put("/api/users/me", headers=bearer(tokens),
                     json={"api_keys": {"openai": OPENAI_KEY}})
    new_ring = "t2:" + "B" * 43 + "," + TEST_ENCRYPTION_KEYS
    for key, value in {
        "PITCHLAB_DATABASE_URL": owner_url.render_as_string(hide_password=False),
        "PITCHLAB_DATABASE_APP_PASSWORD": TEST_APP_PASSWORD,
        "PITCHLAB_ENCRYPTION_KEYS": new_ring,
        "PITCHLAB_DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    first = await invoke_cli(["keys", "rotate"])
    assert first.exit_code == 0, first.output
    assert "re-encrypted 1 API key(s) under key t2" in first.output
    assert OPENAI_KEY not in first.output
    assert '"kid": "t2"' in _stored_api_keys(owner_url, tokens["email"])
    second = await invoke_cli(["keys", "rotate"])
    assert "re-encrypted 0 API key(s)" in second.output


async def test_consents_are_appended_and_the_latest_per_kind_is_listed(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    for granted in (True, False):
        response = await client.post(
            "/api/users/me/consents", headers=bearer(tokens),
            json={"kind": "marketing", "granted": granted, "version": "v1"},
        )
        assert response.status_code == 201
    await client.post("/api/users/me/consents", headers=bearer(tokens),
                      json={"kind": "voice_recording", "granted": True, "version": "2026-11"})
    items = (await client.get("/api/users/me/consents", headers=bearer(tokens))).json()["items"]
    assert {(i["kind"], i["granted"]) for i in items} == {
        ("marketing", False), ("voice_recording", True)
    }
    bad = await client.post("/api/users/me/consents", headers=bearer(tokens),
                            json={"kind": "selling_my_soul", "granted": True, "version": "v1"})
    assert bad.status_code == 422


async def test_export_holds_profile_and_consent_history(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    await client.post("/api/users/me/consents", headers=bearer(tokens),
                      json={"kind": "terms", "granted": True, "version": "v1"})
    export = (await client.get("/api/users/me/export", headers=bearer(tokens))).json()
    assert export["profile"]["email"] == tokens["email"]
    assert [c["kind"] for c in export["consents"]] == ["terms"]
    assert export["sessions"] == [] and export["usage"] == []
    assert "hashed_password" not in str(export)


async def test_deleting_my_account_erases_it_and_kills_my_tokens(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    wrong = await client.request("DELETE", "/api/users/me", headers=bearer(tokens),
                                 json={"password": "not my password"})
    assert wrong.status_code == 403
    gone = await client.request("DELETE", "/api/users/me", headers=bearer(tokens),
                                json={"password": PASSWORD})
    assert gone.status_code == 204
    assert (await client.get("/api/users/me", headers=bearer(tokens))).status_code == 401
    refreshed = await client.post("/api/auth/refresh",
                                  json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    login = await client.post("/api/auth/login",
                              json={"email": tokens["email"], "password": PASSWORD})
    assert login.status_code == 401
    assert outbox(owner_url, tokens["email"]) == []
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM refresh_tokens").fetchone() == (0,)
        # the company had nobody else
        assert conn.execute("SELECT count(*) FROM companies").fetchone() == (0,)


async def test_outbox_command_lists_messages_with_their_links(
    client, app, owner_url, monkeypatch, tmp_path
):
    tokens = await signed_up_over_http(client, app, owner_url)
    await drain_jobs(app)
    monkeypatch.setenv("PITCHLAB_DATABASE_URL", owner_url.render_as_string(hide_password=False))
    monkeypatch.setenv("PITCHLAB_DATABASE_APP_PASSWORD", TEST_APP_PASSWORD)
    monkeypatch.setenv("PITCHLAB_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = await invoke_cli(["outbox", "--to", tokens["email"].upper()])
    assert result.exit_code == 0, result.output
    assert "Confirm your email for Pitchlab" in result.output
    assert "/api/auth/verify-email?token=" in result.output
    as_json = await invoke_cli(["outbox", "--json", "--to", tokens["email"]])

    [message] = json.loads(as_json.stdout)
    assert message["status"] == "sent" and message["links"]


async def test_login_rehashes_when_the_cost_setting_rises(owner_url, tmp_path, client, app):
    tokens = await signed_up(client, app, owner_url)
    stronger = create_app(make_settings(owner_url, tmp_path, bcrypt_rounds=13))
    async with stronger.router.lifespan_context(stronger):
        transport = httpx.ASGITransport(app=stronger)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            login = await c.post("/api/auth/login",
                                 json={"email": tokens["email"], "password": PASSWORD})
    assert login.status_code == 200
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        (hashed,) = conn.execute(
            "SELECT hashed_password FROM users WHERE email = %s", (tokens["email"],)
        ).fetchone()
    assert hashed.startswith("$2b$13$")


async def test_a_super_admin_signs_in_and_sees_a_profile_without_company(
    client, owner_url, monkeypatch, tmp_path
):
    login = await signed_in_operator(client, owner_url, monkeypatch, tmp_path)
    assert login.status_code == 200
    me = (await client.get("/api/users/me", headers=bearer(login.json()))).json()
    assert me["role"] == "super_admin" and me["company"] is None and me["email_verified"] is True
