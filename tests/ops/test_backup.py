"""``pitchlab db backup`` and ``db restore``: a round trip through pg_dump/pg_restore on a scratch
database gives every row of every table back, with the application role's grants, and the app
works on the restored database."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pitchlab.app import create_app
from pitchlab.database_setup import libpq_dsn, set_app_role_password, upgrade
from tests.auth.helpers import PASSWORD, bearer, logged_in, signed_up
from tests.cli.helpers import clean_env, run_pitchlab
from tests.conftest import (
    TEST_APP_PASSWORD,
    create_scratch_database,
    drop_database,
    make_settings,
    one_at_a_time,
)
from tests.fakes.http_server import running
from tests.practice.helpers import finished_text_call, rep

APP_ROLE = "pitchlab_app"


@pytest.fixture
def scratch(server_url):
    url = create_scratch_database(server_url, "pitchlab_backup")
    with one_at_a_time(server_url):
        upgrade(url)
        set_app_role_password(url, TEST_APP_PASSWORD)
    yield url
    drop_database(server_url, url)


def _env(url, tmp_path) -> dict[str, str]:
    return clean_env(PITCHLAB_DATABASE_URL=url.render_as_string(hide_password=False),
                     PITCHLAB_DATABASE_APP_PASSWORD=TEST_APP_PASSWORD,
                     PITCHLAB_DATA_DIR=str(tmp_path / "data"))


def _digests(url) -> dict[str, tuple[int, str, str, bool]]:
    """Per table: rows, a digest of them in a fixed order, the owner, and whether the app role
    may read it. As the owner (a superuser), so row-level security hides nothing."""
    with psycopg.connect(libpq_dsn(url)) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename, tableowner FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        ).fetchall()
        digests = {}
        for schema, table, owner in tables:
            name = sql.Identifier(schema, table)
            count, digest = conn.execute(sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} t").format(name)).fetchone()
            readable = conn.execute("SELECT has_table_privilege(%s, %s, 'SELECT')",
                                    (APP_ROLE, f'"{schema}"."{table}"')).fetchone()[0]
            digests[f"{schema}.{table}"] = (count, digest, owner, readable)
    return digests


async def _some_of_everything(url, tmp_path) -> str:
    """Companies, users, a finished call with transcript and feedback, audit rows: the email of
    the rep who made the call."""
    app = create_app(make_settings(url, tmp_path / "app"))
    async with running(app) as (client, _):
        tokens = await rep(client, app, url)  # a company, its admin, a consent, a login
        await signed_up(client, app, url)  # a second company
        await finished_text_call(client, app, tokens, "Hi, I'm calling about your pipeline.",
                                 "What does your team do today when a deal stalls?")
        failed = await client.post("/api/auth/login",
                                   json={"email": tokens["email"], "password": "wrong"})
        assert failed.status_code == 401  # an audit row of no company
    return tokens["email"]


async def test_a_round_trip_gives_every_row_back(scratch, server_url, tmp_path):
    email = await _some_of_everything(scratch, tmp_path)
    before = _digests(scratch)
    for table in ("public.companies", "public.users", "public.sessions", "public.transcripts",
                  "public.feedback", "public.audit_logs"):
        assert before[table][0] > 0, table

    dump = tmp_path / "backups" / "pitchlab.dump"
    backed_up = run_pitchlab(["db", "backup", str(dump)], _env(scratch, tmp_path), tmp_path)
    assert backed_up.returncode == 0, backed_up.stderr
    assert dump.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert dump.stat().st_mode & 0o777 == 0o600

    drop_database(server_url, scratch)
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch.database)))
    restored = run_pitchlab(["db", "restore", str(dump)], _env(scratch, tmp_path), tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert "it is at head" in restored.stdout

    assert _digests(scratch) == before
    # The service (the application role, row-level security on) works on it as before.
    app = create_app(make_settings(scratch, tmp_path / "after"))
    async with running(app) as (client, _):
        tokens = await logged_in(client, email, PASSWORD)
        calls = await client.get("/api/sessions", headers=bearer(tokens))
        assert calls.status_code == 200 and len(calls.json()["items"]) == 1


def test_restore_into_a_database_that_has_data_replaces_it(scratch, tmp_path):
    dump = tmp_path / "empty.dump"
    env = _env(scratch, tmp_path)
    assert run_pitchlab(["db", "backup", str(dump)], env, tmp_path).returncode == 0
    with psycopg.connect(libpq_dsn(scratch), autocommit=True) as conn:
        conn.execute("INSERT INTO companies (name) VALUES ('After the backup')")
    restored = run_pitchlab(["db", "restore", str(dump)], env, tmp_path)
    assert restored.returncode == 0, restored.stderr
    with psycopg.connect(libpq_dsn(scratch)) as conn:
        assert conn.execute("SELECT count(*) FROM companies").fetchone()[0] == 0


def test_a_missing_dump_is_an_error(scratch, tmp_path):
    run = run_pitchlab(["db", "restore", str(tmp_path / "nope.dump")], _env(scratch, tmp_path),
                       tmp_path)
    assert run.returncode == 1
    assert "nope.dump is not a file" in run.stderr and "Traceback" not in run.stderr


@pytest.fixture
def reachable_dir():
    """A directory that pgserver's own user may enter (started by root, pgserver runs the server
    as another user, and pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="pitchlab-embedded-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_embedded_database_round_trip(reachable_dir):
    """pgserver's own pg_dump/pg_restore: an operator made after the backup is gone after the
    restore, one made before is still there."""
    tmp_path = reachable_dir
    env = clean_env(PITCHLAB_DATA_DIR=str(tmp_path / "data"))
    dump = tmp_path / "embedded.dump"

    def superadmin(email: str):
        return run_pitchlab(["create-superadmin", "--email", email, "--password", PASSWORD],
                            env, tmp_path)

    assert superadmin("before@example.com").returncode == 0
    backed_up = run_pitchlab(["db", "backup", str(dump)], env, tmp_path)
    assert backed_up.returncode == 0, backed_up.stderr
    assert superadmin("after@example.com").returncode == 0
    restored = run_pitchlab(["db", "restore", str(dump)], env, tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert superadmin("after@example.com").returncode == 0  # gone with the restore
    assert superadmin("before@example.com").returncode == 1  # still there
