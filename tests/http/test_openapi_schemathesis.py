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


async def _run(client, app, owner_url, live_server, tmp_path, max_examples: int) -> None:
    account = await signed_up(client, app, owner_url)
    code, output = await _schemathesis(
        live_server, account["email"], tmp_path, "--max-examples", str(max_examples),
        "--seed", "20260101",
    )
    assert code == 0, output
    # Every operation of the description was tested, and every generated case passed.
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert selected and tested and counts, output
    assert selected[1] == selected[2] == tested[1], output
    assert int(counts[1]) == int(counts[2]) > 100, output


async def test_the_app_keeps_to_its_openapi_description(
    client, app, owner_url, live_server, tmp_path
):
    await _run(client, app, owner_url, live_server, tmp_path, max_examples=10)


@pytest.mark.soak
async def test_the_app_keeps_to_its_openapi_description_at_length(
    client, app, owner_url, live_server, tmp_path
):
    await _run(client, app, owner_url, live_server, tmp_path, max_examples=200)
