"""A worker killed (SIGKILL) in the middle of a feedback job: after a restart the job is done."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer
from tests.conftest import TEST_APP_PASSWORD, TEST_ENCRYPTION_KEYS
from tests.fakes.http_server import serve_asgi
from tests.fakes.openai_server import FakeOpenAI
from tests.feedback.test_feedback_flow import _finished_call
from tests.practice.helpers import rep

KEY = "sk-worker-crash-test-key"


async def _worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pitchlab.cli",
        "worker",
        env={**os.environ, **env},
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )


async def _until_logged(process: asyncio.subprocess.Process, *parts: str) -> None:
    while line := await process.stderr.readline():
        if all(part in line.decode() for part in parts):
            return
    raise AssertionError(f"the worker exited before logging {parts!r}")


async def test_a_killed_worker_leaves_no_feedback_behind(client, app, owner_url, tmp_path):
    fake = FakeOpenAI(api_key=KEY, script=["hang"])
    async with serve_asgi(fake.app()) as fake_url:
        env = {
            "PITCHLAB_DATABASE_URL": owner_url.render_as_string(hide_password=False),
            "PITCHLAB_DATABASE_APP_PASSWORD": TEST_APP_PASSWORD,
            "PITCHLAB_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEYS,
            "PITCHLAB_DATA_DIR": str(tmp_path),
            "PITCHLAB_OPENAI_API_KEY": KEY,
            "PITCHLAB_OPENAI_BASE_URL": f"{fake_url}/v1",
        }
        tokens = await rep(client, app, owner_url)
        sid = await _finished_call(client, tokens)

        first = await _worker(env)
        await asyncio.wait_for(fake.request_received.wait(), 60)  # the job is mid-flight
        first.send_signal(signal.SIGKILL)
        await first.wait()
        with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
            status = conn.execute(
                "SELECT status FROM procrastinate_jobs WHERE task_name = 'generate_feedback'"
                " AND args->>'session_id' = %s",
                (sid,),
            ).fetchone()
            assert status == ("doing",)
            # the dead worker's heartbeat is as old as it would be a minute later
            conn.execute(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '5 minutes'"
            )

        second = await _worker(env)
        try:
            await asyncio.wait_for(
                _until_logged(second, "generate_feedback", "ended with status: Success"), 60
            )
        finally:
            second.terminate()
            await second.wait()
            fake.released.set()
    feedback = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert feedback.status_code == 200
    assert feedback.json()["metrics"]["scored_by"] == "gpt-4o"
