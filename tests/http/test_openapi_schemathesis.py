"""The running app against its own OpenAPI description, with schemathesis (`--checks all`), as
each identity there is: a rep (role `user`, joined by invitation, email confirmed), a company
admin, a platform operator (`super_admin`, made by `pitchlab create-superadmin`) and nobody
signed in.

Every operation gets generated requests, valid and invalid: no 5xx, no status code, header,
content type or body that the description does not declare, no invalid request accepted and no
valid one refused, 405 with `Allow` for undeclared methods. Signed-in operations get real tokens:
schemathesis signs in with the identity's account, registered and confirmed here. The project's
settings (sign-in, the few refusals of valid data that name something that does not exist) are in
`schemathesis.toml`, shared with the README's command; the anonymous run reads the same file
without its `[auth.*]` tables.

The app is the test session's, served on 127.0.0.1 (tests/conftest.py `live_server`); the
schemathesis command line runs beside it. The default run keeps this file to about 90 s: the
admin gets every phase (examples, coverage, fuzzing, stateful) at 10 examples per operation, the
other identities the fuzzing and stateful phases at 3 (the coverage phase, about 35 s a run, does
not depend on who is signed in for most of what it sends: malformed input). The `fuzz` variant
(`-m fuzz`) gives every identity every phase at 100 examples.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.auth.helpers import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    PASSWORD,
    invited_member,
    signed_in_operator,
    signed_up,
)

REPOSITORY = Path(__file__).resolve().parents[2]
CONFIG_FILE = REPOSITORY / "schemathesis.toml"
LOGIN = "/api/auth/login"
LOGOUT_ALL = "/api/auth/logout-all"
SEED = "20260101"
IDENTITIES = ("user", "admin", "super_admin", "anonymous")
ALL_PHASES = "examples,coverage,fuzzing,stateful"
_RUNS = itertools.count()

# What shows that a run was made as its identity, in the statuses of one operation (no check
# above can tell a rep's run from an admin's): (method, path) -> (a status some response had,
# a status none had).
SIGNED_AS = {
    "anonymous": (("GET", "/api/users/me"), 401, 200),
    "user": (("GET", "/api/admin/users"), 403, 200),
    "admin": (("GET", "/api/admin/users"), 200, 403),
    "super_admin": (("GET", "/api/admin/companies"), 200, 403),
}


def _anonymous_config(workdir: Path) -> Path:
    """schemathesis.toml without its `[auth.*]` tables: nobody signs in."""
    kept, in_auth = [], False
    for line in CONFIG_FILE.read_text().splitlines():
        if line.startswith("["):
            in_auth = line.startswith("[auth.") or line.strip() == "[auth]"
        if not in_auth:
            kept.append(line)
    text = "\n".join(kept) + "\n"
    parsed = tomllib.loads(text)
    assert "auth" not in parsed and parsed["operations"], text
    config = workdir / "schemathesis-anonymous.toml"
    config.write_text(text)
    return config


async def _schemathesis(
    base_url: str, config: Path, credentials: tuple[str, str] | None, workdir: Path, *args: str
) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}  # for the hooks module the config names
    if credentials is not None:
        env["PITCHLAB_SCHEMATHESIS_EMAIL"], env["PITCHLAB_SCHEMATHESIS_PASSWORD"] = credentials
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{base_url}/openapi.json", "--checks", "all",
        "--report", "har", "--report-har-path", str(workdir / f"run-{next(_RUNS)}.har"), *args,
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


def _statuses(workdir: Path, method: str, path: str) -> set[int]:
    """The statuses of every response to ``method path`` in the runs' HAR files."""
    statuses = set()
    for har in workdir.glob("run-*.har"):
        for entry in json.loads(har.read_text())["log"]["entries"]:
            request = entry["request"]
            if request["method"] == method and urlsplit(request["url"]).path == path:
                statuses.add(entry["response"]["status"])
    return statuses


def _assert_signed_as(identity: str, workdir: Path) -> None:
    (method, path), seen, unseen = SIGNED_AS[identity]
    statuses = _statuses(workdir, method, path)
    assert seen in statuses and unseen not in statuses, (identity, method, path, statuses)


async def _credentials(
    identity: str, client, app, owner_url, monkeypatch, tmp_path
) -> tuple[str, str] | None:
    """The account schemathesis signs in with as ``identity`` (None: nobody signs in)."""
    if identity == "anonymous":
        return None
    if identity == "super_admin":
        login = await signed_in_operator(client, owner_url, monkeypatch, tmp_path)
        assert login.status_code == 200, login.text
        return OPERATOR_EMAIL, OPERATOR_PASSWORD
    admin = await signed_up(client, app, owner_url)
    if identity == "admin":
        return admin["email"], PASSWORD
    rep = await invited_member(client, owner_url, admin["email"], role="user")
    return rep["email"], PASSWORD


async def _run(identity: str, client, app, owner_url, monkeypatch, live_server, tmp_path, *,
               max_examples: int, phases: str) -> None:
    description = (await client.get("/openapi.json")).json()
    operations = sum(len(path) for path in description["paths"].values())
    common = ("--max-examples", str(max_examples), "--seed", SEED, "--phases", phases)
    # The accounts first: the run's registrations use up the address's registration limit.
    credentials = await _credentials(identity, client, app, owner_url, monkeypatch, tmp_path)
    if credentials is None:
        code, output = await _schemathesis(
            live_server, _anonymous_config(tmp_path), None, tmp_path, *common)
        _assert_clean(code, output, operations)
        _assert_signed_as(identity, tmp_path)
        return
    # schemathesis signs in again whenever a response is 401 (a wrong current password, or
    # "log out everywhere" ending the run's token), and every failed login the run generates
    # counts against its address (the login throttle: 30 a minute, then 429 for every email,
    # the run's own sign-in included). So the generated logins run on their own after
    # everything else, and "log out everywhere" last, each in a run of its own. Signing in is
    # the same operation whoever calls it: the admin's run and the anonymous one test it.
    code, output = await _schemathesis(
        live_server, CONFIG_FILE, credentials, tmp_path, *common,
        "--exclude-path", LOGIN, "--exclude-path", LOGOUT_ALL)
    _assert_clean(code, output, operations - 2)
    for alone in (LOGIN, LOGOUT_ALL) if identity == "admin" else (LOGOUT_ALL,):
        code, output = await _schemathesis(
            live_server, CONFIG_FILE, credentials, tmp_path, *common, "--include-path", alone)
        _assert_clean(code, output, 1)
    _assert_signed_as(identity, tmp_path)


# The default budget: see the module's docstring.
DEFAULT_BUDGET = {
    "admin": {"max_examples": 10, "phases": ALL_PHASES},
    "user": {"max_examples": 3, "phases": "fuzzing,stateful"},
    "super_admin": {"max_examples": 3, "phases": "fuzzing,stateful"},
    "anonymous": {"max_examples": 3, "phases": "fuzzing,stateful"},
}


@pytest.mark.parametrize("identity", IDENTITIES)
async def test_the_app_keeps_to_its_openapi_description(
    identity, client, app, owner_url, monkeypatch, live_server, tmp_path
):
    await _run(identity, client, app, owner_url, monkeypatch, live_server, tmp_path,
               **DEFAULT_BUDGET[identity])


@pytest.mark.fuzz
@pytest.mark.parametrize("identity", IDENTITIES)
async def test_the_app_keeps_to_its_openapi_description_at_length(
    identity, client, app, owner_url, monkeypatch, live_server, tmp_path
):
    await _run(identity, client, app, owner_url, monkeypatch, live_server, tmp_path,
               max_examples=100, phases=ALL_PHASES)
