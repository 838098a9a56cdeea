"""The running app against its own OpenAPI description, with schemathesis (`--checks all`).

Every operation gets generated requests, valid and invalid, in every phase (examples, coverage,
fuzzing, stateful): no 5xx, no status code, header, content type or body that the description
does not declare, no invalid request accepted and no valid one refused, 405 with `Allow` for
undeclared methods. Signed-in operations get real tokens: schemathesis signs in with an account
registered and confirmed here. The project's settings (sign-in, the few refusals of valid data
that name something that does not exist) are in `schemathesis.toml`, shared with the README's
command.

The app is the test session's, served on 127.0.0.1 (tests/conftest.py `live_server`); the
schemathesis command line runs beside it. A bounded run keeps to about a minute; the `soak`
variant generates twenty times as many requests.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from tests.auth.helpers import PASSWORD, signed_up

REPOSITORY = Path(__file__).resolve().parents[2]
CONFIG_FILE = REPOSITORY / "schemathesis.toml"
LOGOUT_ALL = "/api/auth/logout-all"


async def _schemathesis(base_url: str, email: str, workdir: Path, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "PITCHLAB_SCHEMATHESIS_EMAIL": email,
        "PITCHLAB_SCHEMATHESIS_PASSWORD": PASSWORD,
        "PYTHONPATH": str(REPOSITORY),  # for the hooks module the config names
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG_FILE), "--no-color",
        "run", f"{base_url}/openapi.json", "--checks", "all", *args,
        cwd=workdir,  # its caches (.schemathesis, .hypothesis) stay out of the repository
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode, output.decode(errors="replace")


def _assert_clean(code: int, output: str, operations: int) -> None:
    assert code == 0, output
    # Every selected operation was tested, and every generated case passed.
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert selected and tested and counts, output
    assert int(selected[1]) == int(tested[1]) == operations, output
    assert int(counts[1]) == int(counts[2]) > 0, output


async def _run(client, app, owner_url, live_server, tmp_path, max_examples: int) -> None:
    description = (await client.get("/openapi.json")).json()
    operations = sum(len(path) for path in description["paths"].values())
    common = ("--max-examples", str(max_examples), "--seed", "20260101")
    # "Log out everywhere" ends the run's token, and signing in again can meet the login
    # throttle (the run's own failed logins count against its address): it runs on its own,
    # with an account of its own, after everything else.
    # Both accounts first: the run's registrations use up the address's registration limit.
    everything, logout_all = [await signed_up(client, app, owner_url) for _ in range(2)]
    code, output = await _schemathesis(
        live_server, everything["email"], tmp_path, *common, "--exclude-path", LOGOUT_ALL
    )
    _assert_clean(code, output, operations - 1)
    code, output = await _schemathesis(
        live_server, logout_all["email"], tmp_path, *common, "--include-path", LOGOUT_ALL
    )
    _assert_clean(code, output, 1)


async def test_the_app_keeps_to_its_openapi_description(
    client, app, owner_url, live_server, tmp_path
):
    await _run(client, app, owner_url, live_server, tmp_path, max_examples=10)


@pytest.mark.soak
async def test_the_app_keeps_to_its_openapi_description_at_length(
    client, app, owner_url, live_server, tmp_path
):
    await _run(client, app, owner_url, live_server, tmp_path, max_examples=200)
