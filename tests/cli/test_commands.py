"""The ``pitchlab`` command, run as an operator would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import bcrypt
import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from pitchlab.cli import cli
from pitchlab.database_setup import libpq_dsn
from tests.conftest import TEST_APP_PASSWORD


@pytest.fixture
def cli_env(owner_url, tmp_path, monkeypatch) -> dict[str, str]:
    env = {
        "PITCHLAB_DATABASE_URL": owner_url.render_as_string(hide_password=False),
        "PITCHLAB_DATABASE_APP_PASSWORD": TEST_APP_PASSWORD,
        "PITCHLAB_DATA_DIR": str(tmp_path / "data"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    return env


def test_create_superadmin_prints_the_id_and_stores_a_bcrypt_hash(cli_env, owner_url):
    email = f"Operator-{uuid.uuid4().hex[:6]}@Example.com"
    result = CliRunner().invoke(
        cli, ["create-superadmin", "--email", email, "--password", "a long passphrase"]
    )
    assert result.exit_code == 0, result.output
    user_id = uuid.UUID(result.output.strip().splitlines()[-1])
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        row = conn.execute(
            "SELECT email, role, company_id, hashed_password FROM users WHERE id = %s", (user_id,)
        ).fetchone()
    assert row[:3] == (email.lower(), "super_admin", None)
    assert row[3].startswith("$2b$12$")
    assert bcrypt.checkpw(b"a long passphrase", row[3].encode())
    assert "a long passphrase" not in result.output


def test_create_superadmin_prompts_for_the_password_when_omitted(cli_env):
    result = CliRunner().invoke(
        cli,
        ["create-superadmin", "--email", "prompted@example.com"],
        input="another passphrase\nanother passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "another passphrase" not in result.output


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a long passphrase", "email"),
        ("short@example.com", "short", "at least 8"),
        ("long@example.com", "é" * 37, "72 bytes"),
    ],
)
def test_create_superadmin_refuses_bad_input(cli_env, owner_url, email, password, message):
    result = CliRunner().invoke(
        cli, ["create-superadmin", "--email", email, "--password", password]
    )
    assert result.exit_code == 1
    assert message in result.output
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_create_superadmin_twice_is_refused(cli_env):
    args = ["create-superadmin", "--email", "twice@example.com", "--password", "a long passphrase"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_db_upgrade_is_idempotent(cli_env):
    for _ in range(2):
        result = CliRunner().invoke(cli, ["db", "upgrade"])
        assert result.exit_code == 0, result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_until_ready(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, int]:
    """Start ``pitchlab serve`` and return once it says it is listening (no polling)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "pitchlab.cli", "serve", "--port", str(port)],
        env={**os.environ, **env},
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "Application startup complete" in line:
            # keep reading, or a chatty server would block on a full pipe
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, port
    raise AssertionError("pitchlab serve exited before it was ready:\n" + "".join(seen))


def _pitchlab(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pitchlab.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.communicate(timeout=30)


def test_serve_answers_readyz_on_a_configured_database(cli_env, tmp_path):
    process, port = _serve_until_ready(cli_env, tmp_path)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=10).status_code == 200
    finally:
        _stop(process)


def test_serve_with_no_database_url_starts_the_embedded_server_and_keeps_its_data(tmp_path):
    # no XDG_RUNTIME_DIR, as in a container or an ssh session: nothing may warn about it
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PITCHLAB_") and k != "XDG_RUNTIME_DIR"
    }
    env["PITCHLAB_DATA_DIR"] = str(tmp_path / "data")
    process, port = _serve_until_ready(env, tmp_path)
    handles = tmp_path / "data" / "postgres" / ".handle_pids.json"
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
        httpx.post(
            f"http://127.0.0.1:{port}/api/auth/register",
            json={
                "email": "me@example.com",
                "password": "a long passphrase",
                "name": "Me",
                "company_name": "Acme",
            },
        ).raise_for_status()
        # Commands beside the server attach to its database: quietly, starting nothing.
        listed = _pitchlab(["outbox", "--to", "me@example.com"], env, tmp_path)
        assert listed.returncode == 0, listed.stderr
        assert f"http://127.0.0.1:{port}/api/auth/verify-email?token=" in listed.stdout
        assert listed.stderr == ""
        assert json.loads(handles.read_text()) == [process.pid]  # outbox held no handle
        upgraded = _pitchlab(["db", "upgrade"], env, tmp_path)
        assert upgraded.returncode == 0, upgraded.stderr
        assert "XDG_RUNTIME_DIR" not in upgraded.stderr
        assert "starting embedded PostgreSQL" not in upgraded.stderr
        assert json.loads(handles.read_text()) == [process.pid]
    finally:
        _stop(process)
    # A command beside (or after) the server finds the same database and its data.
    create_operator = [sys.executable, "-m", "pitchlab.cli", "create-superadmin",
                       "--email", "op@example.com", "--password", "a long passphrase"]
    created = subprocess.run(create_operator, env=env, cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    again = subprocess.run(create_operator, env=env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()
    assert (tmp_path / "data" / "secrets" / "jwt_secret").exists()
    # the last process out stopped the server it had started
    assert json.loads((tmp_path / "data" / "postgres" / ".handle_pids.json").read_text()) == []
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists()


def test_worker_registers_with_the_queue_and_leaves_cleanly_on_sigterm(
    cli_env, tmp_path, owner_url
):
    process = subprocess.Popen(
        [sys.executable, "-m", "pitchlab.cli", "worker", "--concurrency", "2"],
        env={**os.environ, **cli_env},
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stderr:
            if "Starting worker" in line or "Started worker" in line:
                break
        else:
            raise AssertionError("the worker exited before it started")
        with psycopg.connect(libpq_dsn(owner_url)) as conn:
            assert conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] >= 1
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone() == (0,)
