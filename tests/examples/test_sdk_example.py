"""examples/sdk_practice_call.py, run as a user runs it (a subprocess, its own flags) against a
live server: sign in, consent, a call through the official ElevenLabs SDK, end, feedback."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

from tests.auth.helpers import PASSWORD, bearer, drain_jobs, signed_up

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "sdk_practice_call.py"
DEADLINE = 60  # seconds for the whole script; it takes a few


async def run_example(app, *args: str) -> tuple[int, list[str], str]:
    """Exit code, stdout lines and stderr of the script. The tests run no worker: when the
    script says the call ended, the queued feedback job is run here, as a worker would."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []

    async def read_stdout() -> None:
        async for raw in proc.stdout:
            lines.append(raw.decode().rstrip("\n"))
            if lines[-1].startswith("Call ended"):
                await drain_jobs(app)

    try:
        _, stderr, code = await asyncio.wait_for(
            asyncio.gather(read_stdout(), proc.stderr.read(), proc.wait()), DEADLINE)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    return code, lines, stderr.decode()


async def test_the_example_holds_a_call_and_prints_its_feedback(
    client, app, owner_url, live_server, public_url_is_live_server
):
    tokens = await signed_up(client, app, owner_url)  # verified, no consent yet
    code, lines, stderr = await run_example(
        app, "--url", live_server, "--email", tokens["email"], "--password", PASSWORD)
    assert code == 0, stderr

    consents = (await client.get("/api/users/me/consents", headers=bearer(tokens))).json()
    assert [(c["kind"], c["granted"]) for c in consents["items"]] == [("voice_recording", True)]
    assert "Granted the voice_recording consent." in lines

    sessions = (await client.get("/api/sessions", headers=bearer(tokens))).json()
    items = sessions["items"] if isinstance(sessions, dict) else sessions
    [session] = items
    assert session["status"] == "completed"
    transcript = (await client.get(f"/api/sessions/{session['id']}/transcript",
                                   headers=bearer(tokens))).json()
    printed = [line.split(":", 1) for line in lines if line.startswith(("rep:", "prospect:"))]
    assert [(who, text.strip()) for who, text in printed] == [
        (t["speaker"], t["text"]) for t in transcript["turns"]]
    assert transcript["turns"][0]["text"].startswith("Marcus speaking")
    assert [t["speaker"] for t in transcript["turns"]].count("rep") == 4

    feedback = (await client.get(f"/api/sessions/{session['id']}/feedback",
                                 headers=bearer(tokens))).json()
    assert feedback["status"] == "ready"
    assert f"Summary: {feedback['metrics']['summary']}" in lines
    assert lines[-1].startswith(("  ", "Summary:"))  # the report is the last thing printed


async def test_the_example_reports_an_api_error_in_one_line(
    client, app, owner_url, live_server, public_url_is_live_server
):
    tokens = await signed_up(client, app, owner_url)
    code, lines, stderr = await run_example(
        app, "--url", live_server, "--email", tokens["email"], "--password", "not the password")
    assert code == 1
    assert stderr.startswith("error: POST /api/auth/login answered 401 (")
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1
    assert lines == []
