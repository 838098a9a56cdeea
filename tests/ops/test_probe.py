"""``pitchlab probe BASE_URL`` against a real server: a verified account goes through login, a
text call and its end (exit 0, one line of timings); a wrong password, a server that is down or a
call the account may not start exit 1 with the step and the reason, never the password."""

from __future__ import annotations

import asyncio

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, signed_up
from tests.cli.helpers import clean_env, free_port, run_pitchlab
from tests.practice.helpers import set_company_quota


async def _probe(tmp_path, base_url: str, email: str, password: str, *args: str):
    """The command in a thread: the server it probes runs on this test's event loop."""
    env = clean_env(PITCHLAB_PROBE_EMAIL=email, PITCHLAB_PROBE_PASSWORD=password)
    return await asyncio.to_thread(run_pitchlab, ["probe", base_url, *args], env, tmp_path)


def _probe_calls(owner_url, email: str) -> list[tuple[str, int]]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT s.status, s.minutes_billed FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.email = %s", (email,)).fetchall()


async def test_a_healthy_deployment(client, app, owner_url, live_server, tmp_path):
    account = await signed_up(client, app, owner_url)
    run = await _probe(tmp_path, live_server, account["email"], PASSWORD)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("probe ok in "), run.stdout
    for step in ("login", "start", "turn", "end"):
        assert f"{step} " in lines[0] and " ms" in lines[0]
    assert _probe_calls(owner_url, account["email"]) == [("completed", 1)]
    assert PASSWORD not in run.stdout + run.stderr


async def test_a_wrong_password(client, app, owner_url, live_server, tmp_path):
    account = await signed_up(client, app, owner_url)
    run = await _probe(tmp_path, live_server, account["email"], "not-the-probe-password")
    assert run.returncode == 1
    assert "login failed: 401 invalid_credentials" in run.stderr, run.stderr
    assert "not-the-probe-password" not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


async def test_a_server_that_is_down(tmp_path):
    run = await _probe(tmp_path, f"http://127.0.0.1:{free_port()}", "probe@example.com",
                       "the-probe-password")
    assert run.returncode == 1
    assert "login failed: ConnectError" in run.stderr, run.stderr
    assert "the-probe-password" not in run.stdout + run.stderr


async def test_a_call_that_cannot_start(client, app, owner_url, live_server, tmp_path):
    account = await signed_up(client, app, owner_url)
    set_company_quota(owner_url, account["email"], total=10, used=10)
    run = await _probe(tmp_path, live_server, account["email"], PASSWORD)
    assert run.returncode == 1
    assert "start failed: 402 quota_exhausted" in run.stderr, run.stderr


async def test_the_options_stand_in_for_the_settings(client, app, owner_url, live_server,
                                                     tmp_path):
    account = await signed_up(client, app, owner_url)
    env = clean_env()
    run = await asyncio.to_thread(
        run_pitchlab, ["probe", live_server, "--email", account["email"], "--password", PASSWORD],
        env, tmp_path)
    assert run.returncode == 0, run.stderr
    unset = await asyncio.to_thread(run_pitchlab, ["probe", live_server], env, tmp_path)
    assert unset.returncode == 2 and "PITCHLAB_PROBE_EMAIL" in unset.stderr
