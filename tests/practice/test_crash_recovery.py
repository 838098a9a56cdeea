"""A server killed mid-call (SIGKILL) loses no charged minute: after a restart the sweep ends the
call, writes its usage row and keeps what was said."""

from __future__ import annotations

import httpx
import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, latest_verification_token, unique_email
from tests.cli.test_commands import _serve_until_ready
from tests.conftest import TEST_APP_PASSWORD, TEST_ENCRYPTION_KEYS


def _env(owner_url, tmp_path) -> dict[str, str]:
    return {
        "PITCHLAB_DATABASE_URL": owner_url.render_as_string(hide_password=False),
        "PITCHLAB_DATABASE_APP_PASSWORD": TEST_APP_PASSWORD,
        "PITCHLAB_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
        "PITCHLAB_JWT_SECRET": "crash-test-jwt-secret-long-enough-for-hs256",
        "PITCHLAB_DATA_DIR": str(tmp_path / "data"),
        "PITCHLAB_SESSION_IDLE_TIMEOUT_SECONDS": "30",
    }


def _signed_in(base: str, owner_url) -> dict:
    email = unique_email()
    with httpx.Client(base_url=base, timeout=30) as http:
        http.post(
            "/api/auth/register",
            json={"email": email, "password": PASSWORD, "name": "K", "company_name": "Crashy"},
        ).raise_for_status()
        token = latest_verification_token(owner_url, email)
        http.get("/api/auth/verify-email", params={"token": token}).raise_for_status()
        tokens = http.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_sigkill_mid_call_then_restart(owner_url, tmp_path):
    env = _env(owner_url, tmp_path)
    process, port = _serve_until_ready(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        headers = _signed_in(base, owner_url)
        with httpx.Client(base_url=base, timeout=30, headers=headers) as http:
            session = http.post("/api/sessions/start", json={"mode": "text"}).json()
            turn = http.post(f"/api/sessions/{session['id']}/stream", json={"text": "How are you?"})
            assert turn.status_code == 200
    finally:
        process.kill()  # SIGKILL: no shutdown, no cleanup
        process.wait(timeout=30)

    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        status, billed = conn.execute(
            "SELECT status, minutes_billed FROM sessions WHERE id = %s", (session["id"],)
        ).fetchone()
        assert (status, billed) == ("in_progress", 1)
        # the call then goes quiet for longer than the idle timeout
        conn.execute("UPDATE sessions SET last_activity_at = now() - interval '1 minute'")

    process, _ = _serve_until_ready(env, tmp_path)  # startup sweeps before it serves
    try:
        with psycopg.connect(libpq_dsn(owner_url)) as conn:
            status, reason = conn.execute(
                "SELECT status, end_reason FROM sessions WHERE id = %s", (session["id"],)
            ).fetchone()
            assert (status, reason) == ("completed", "idle_timeout")
            usage = conn.execute(
                "SELECT minutes_used FROM usage_records WHERE session_id = %s", (session["id"],)
            ).fetchone()
            assert usage == (1,)
            used = conn.execute(
                "SELECT used_minutes FROM minute_quotas q"
                " JOIN sessions s ON s.company_id = q.company_id"
                " WHERE s.id = %s AND q.user_id IS NULL",
                (session["id"],),
            ).fetchone()
            assert used == (1,)
            turns = conn.execute(
                "SELECT jsonb_array_length(turns) FROM transcripts WHERE session_id = %s",
                (session["id"],),
            ).fetchone()
            assert turns == (3,)  # the prospect's opening line, the rep's turn, the reply
    finally:
        process.terminate()
        process.communicate(timeout=30)
