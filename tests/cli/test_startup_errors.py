"""Startup failures as a newcomer meets them: a fresh ``pitchlab`` process, exit code 2 within 5 s,
one or two lines that name the setting, say what failed and what to try; never a traceback."""

from __future__ import annotations

import socket

import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from tests.cli.helpers import assert_startup_error, clean_env, free_port, run_pitchlab
from tests.conftest import TEST_APP_PASSWORD, create_scratch_database, drop_database

SECRET = "s3cret-pw-never-shown"


def _url(url) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture
def data_dir(tmp_path):
    return str(tmp_path / "data")


def test_a_refused_port_is_named_for_every_command(tmp_path, data_dir):
    url = f"postgresql://postgres:{SECRET}@127.0.0.1:{free_port()}/pitchlab"
    env = clean_env(PITCHLAB_DATABASE_URL=url, PITCHLAB_DATA_DIR=data_dir)
    commands = [
        ["serve", "--port", "0"], ["worker"], ["db", "upgrade"], ["outbox"], ["demo"],
        ["keys", "rotate"], ["create-superadmin", "--email", "op@example.com",
                            "--password", "a long passphrase"],
    ]
    for command in commands:
        run = run_pitchlab(command, env, tmp_path)
        assert_startup_error(run, "PITCHLAB_DATABASE_URL", "connection refused", "unset")
        assert SECRET not in run.stderr + run.stdout


def test_an_unknown_database_is_named(server_url, tmp_path, data_dir):
    missing = server_url.set(database="pitchlab_no_such_database", password=SECRET)
    env = clean_env(PITCHLAB_DATABASE_URL=_url(missing), PITCHLAB_DATA_DIR=data_dir)
    run = run_pitchlab(["db", "upgrade"], env, tmp_path)
    assert_startup_error(run, "PITCHLAB_DATABASE_URL",
                         '"pitchlab_no_such_database" does not exist', "createdb")
    assert SECRET not in run.stderr


def test_an_unknown_role_is_named(server_url, tmp_path, data_dir):
    stranger = server_url.set(username="pitchlab_no_such_role", password=SECRET)
    env = clean_env(PITCHLAB_DATABASE_URL=_url(stranger), PITCHLAB_DATA_DIR=data_dir)
    run = run_pitchlab(["outbox"], env, tmp_path)
    assert_startup_error(run, "PITCHLAB_DATABASE_URL", "authentication failed",
                         "pitchlab_no_such_role")
    assert SECRET not in run.stderr


@pytest.mark.parametrize("value", ["not-a-url", f"mysql://root:{SECRET}@localhost/db",
                                   f"postgresql://u:{SECRET}@localhost:port/db"])
def test_something_that_is_not_a_postgresql_url_is_named(tmp_path, data_dir, value):
    env = clean_env(PITCHLAB_DATABASE_URL=value, PITCHLAB_DATA_DIR=data_dir)
    run = run_pitchlab(["serve", "--port", "0"], env, tmp_path)
    assert_startup_error(run, "PITCHLAB_DATABASE_URL", "not a PostgreSQL URL",
                         "postgresql://USER:PASSWORD@HOST")
    assert SECRET not in run.stderr


def test_a_taken_port_is_named_before_any_migration_runs(server_url, tmp_path, data_dir):
    fresh = create_scratch_database(server_url, "pitchlab_port_taken")
    try:
        env = clean_env(PITCHLAB_DATABASE_URL=_url(fresh), PITCHLAB_DATA_DIR=data_dir,
                        PITCHLAB_DATABASE_APP_PASSWORD=TEST_APP_PASSWORD)
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            run = run_pitchlab(["serve", "--port", str(port)], env, tmp_path)
        assert_startup_error(run, "--port", f"port {port}", "already in use")
        with psycopg.connect(libpq_dsn(fresh)) as conn:
            migrated = conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0]
        assert migrated is None  # the database was never touched
    finally:
        drop_database(server_url, fresh)


def test_a_data_dir_that_cannot_be_written_is_named(tmp_path):
    # A directory under a regular file cannot be created, even by root (which a chmod 0o500
    # directory would not stop, and the tests may run as root).
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = clean_env(PITCHLAB_DATA_DIR=str(blocker / "data"))
    for command in (["serve", "--port", "0"], ["db", "upgrade"], ["outbox"]):
        run = run_pitchlab(command, env, tmp_path)
        assert_startup_error(run, "PITCHLAB_DATA_DIR", str(blocker / "data"), "writ")


def test_an_invalid_setting_is_named(tmp_path, data_dir):
    env = clean_env(PITCHLAB_BCRYPT_ROUNDS="3", PITCHLAB_DATA_DIR=data_dir)
    run = run_pitchlab(["db", "upgrade"], env, tmp_path)
    assert_startup_error(run, "PITCHLAB_BCRYPT_ROUNDS", "greater than or equal to 4")
