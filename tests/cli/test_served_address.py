"""Where the server is: with PITCHLAB_PUBLIC_URL unset, emailed links and ``stream.url`` name the
host and port ``pitchlab serve`` actually listens on; and the commands run beside it attach to
its database quietly, without loading the application."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.cli.helpers import clean_env, run_pitchlab

PASSWORD = "a long passphrase"
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def serve(env: dict[str, str], cwd: Path, *args: str) -> tuple[subprocess.Popen, int]:
    """``pitchlab serve --port 0`` (any free port); returns once it serves, with the port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pitchlab.cli", "serve", "--port", "0", *args],
        env=env, cwd=cwd, stderr=subprocess.PIPE, text=True,
    )
    # a server that never gets ready is killed, which ends the loop below
    deadline = threading.Timer(120, process.kill)
    deadline.start()
    seen, port, started = [], None, False
    for line in process.stderr:
        seen.append(line)
        if match := LISTENING.search(line):
            port = int(match.group(1))
        started = started or "Application startup complete" in line
        if started and port:  # pitchlab names the port, then uvicorn says it is up
            deadline.cancel()
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, port
    raise AssertionError("pitchlab serve exited before it was ready:\n" + "".join(seen))


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.communicate(timeout=30)


def test_links_and_stream_url_name_the_port_served(env, tmp_path):
    process, port = serve(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        email = "served@example.com"
        registered = httpx.post(f"{base}/api/auth/register", json={
            "email": email, "password": PASSWORD, "name": "Sam", "company_name": "Acme"})
        assert registered.status_code == 202

        listed = run_pitchlab(["outbox", "--to", email, "--json"], env, tmp_path)
        assert listed.returncode == 0, listed.stderr
        [message] = json.loads(listed.stdout)
        [link] = message["links"]
        assert link.startswith(f"{base}/api/auth/verify-email?token=")
        assert httpx.get(link).status_code == 200  # the link reaches this very server

        login = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        started = httpx.post(f"{base}/api/sessions/start", headers=headers,
                             json={"mode": "text"})
        assert started.status_code == 201, started.text
        assert started.json()["stream"]["url"].startswith(f"ws://127.0.0.1:{port}/api/sessions/")
    finally:
        stop(process)


def test_a_given_public_url_wins_over_the_address_served(env, tmp_path):
    env = {**env, "PITCHLAB_PUBLIC_URL": "https://pitchlab.example.com"}
    process, port = serve(env, tmp_path)
    try:
        httpx.post(f"http://127.0.0.1:{port}/api/auth/register", json={
            "email": "public@example.com", "password": PASSWORD, "name": "P",
            "company_name": "Acme"}).raise_for_status()
        listed = run_pitchlab(["outbox", "--to", "public@example.com", "--json"], env, tmp_path)
        [message] = json.loads(listed.stdout)
        assert message["links"][0].startswith("https://pitchlab.example.com/api/auth/verify-email")
    finally:
        stop(process)


HEAVY = ("sqlalchemy", "alembic", "fastapi", "procrastinate", "openai", "vaderSentiment",
         "pitchlab.app", "pitchlab.models", "rich")
LOADED = f"import sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"


def test_help_loads_nothing_heavy(tmp_path):
    script = f"from pitchlab.cli import main\ntry:\n    main()\nfinally:\n    {LOADED}"
    done = subprocess.run([sys.executable, "-c", script, "--help"], env=clean_env(), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_outbox_beside_a_migrated_database_loads_nothing_heavy(env, tmp_path, owner_url):
    script = ("import sys\nfrom pitchlab.cli import main\nsys.argv = ['pitchlab', 'outbox']\n"
              f"try:\n    main()\nexcept SystemExit:\n    pass\n{LOADED}")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "no messages" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert done.stderr == ""


def test_db_help_lists_only_what_exists(tmp_path):
    run = run_pitchlab(["db", "--help"], clean_env(), tmp_path)
    assert run.returncode == 0
    for command in ("upgrade", "backup", "restore"):  # backup and restore: issue 14
        assert command in run.stdout
