"""The application role: named by PITCHLAB_DATABASE_APP_ROLE, its password set when a start creates
it or when PITCHLAB_DATABASE_APP_PASSWORD says so, and never silently replaced, so deployments that
share a PostgreSQL cluster (roles are cluster-wide) cannot lock each other out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from pathlib import Path

import httpx
import pgserver
import psycopg
import pytest
from psycopg import sql
from pydantic import ValidationError
from typer.testing import CliRunner

from pitchlab.app import create_app
from pitchlab.cli import cli
from pitchlab.config import Settings
from pitchlab.database_setup import libpq_dsn
from pitchlab.db import normalize_url
from tests.auth.helpers import register, unique_email
from tests.conftest import create_scratch_database, drop_database, make_settings


def scram_matches(verifier: str, password: str) -> bool:
    """Whether a SCRAM-SHA-256 verifier (pg_authid.rolpassword) is that of ``password``."""
    _, iterations_salt, keys = verifier.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt),
                                 int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def role_password(server_url, role: str) -> str | None:
    with psycopg.connect(libpq_dsn(server_url)) as conn:
        row = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                           (role,)).fetchone()
    return row[0] if row else None


def generated_password(data_dir: Path) -> str:
    return (data_dir / "secrets" / "database_app_password").read_text().strip()


def start(monkeypatch, url, data_dir: Path, role: str | None = None,
          password: str | None = None):
    """``pitchlab db upgrade`` of one deployment: what every start does to the database."""
    env = {"PITCHLAB_DATABASE_URL": url.render_as_string(hide_password=False),
           "PITCHLAB_DATA_DIR": str(data_dir), "PITCHLAB_DATABASE_APP_ROLE": role,
           "PITCHLAB_DATABASE_APP_PASSWORD": password}
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    return CliRunner().invoke(cli, ["db", "upgrade"])


@pytest.fixture
def deployments(server_url, tmp_path, monkeypatch):
    """Two scratch databases on the test server and two roles of their own, dropped after."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    urls = [create_scratch_database(server_url, "pitchlab_role") for _ in range(2)]
    roles = [f"pitchlab_t_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    yield urls, roles
    for url in urls:
        drop_database(server_url, url)
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_deployments_starting_alternately_never_change_each_others_passwords(
    deployments, server_url, tmp_path, monkeypatch
):
    (url_a, url_b), (role_a, role_b) = deployments
    dir_a, dir_b, dir_c = tmp_path / "a", tmp_path / "b", tmp_path / "c"

    assert start(monkeypatch, url_a, dir_a, role_a).exit_code == 0
    verifier_a = role_password(server_url, role_a)
    assert scram_matches(verifier_a, generated_password(dir_a))  # set when created

    # B: another database, its own role and data_dir.
    assert start(monkeypatch, url_b, dir_b, role_b).exit_code == 0
    assert scram_matches(role_password(server_url, role_b), generated_password(dir_b))
    # C: a third deployment (own data_dir, so its own generated password) sharing A's role.
    assert start(monkeypatch, url_b, dir_c, role_a).exit_code == 0
    # A again, then B again: nobody's password moved (not even re-hashed with a new salt).
    assert start(monkeypatch, url_a, dir_a, role_a).exit_code == 0
    verifier_b = role_password(server_url, role_b)
    assert start(monkeypatch, url_b, dir_b, role_b).exit_code == 0
    assert role_password(server_url, role_a) == verifier_a
    assert role_password(server_url, role_b) == verifier_b

    # Each deployment's migrations granted to its own role.
    with psycopg.connect(libpq_dsn(url_b)) as conn:
        granted = conn.execute(
            "SELECT has_table_privilege(%s, 'users', 'INSERT'),"
            " has_sequence_privilege(%s, 'procrastinate_jobs_id_seq', 'USAGE')",
            (role_b, role_b),
        ).fetchone()
    assert granted == (True, True)


def test_an_explicit_password_is_set_on_the_role(deployments, server_url, tmp_path, monkeypatch):
    (url_a, _), (role_a, _) = deployments
    assert start(monkeypatch, url_a, tmp_path / "a", role_a).exit_code == 0
    assert start(monkeypatch, url_a, tmp_path / "a", role_a,
                 password="an explicit app password").exit_code == 0
    assert scram_matches(role_password(server_url, role_a), "an explicit app password")


async def test_the_service_connects_as_the_configured_role(deployments, tmp_path, monkeypatch):
    (url_a, _), (role_a, _) = deployments
    assert start(monkeypatch, url_a, tmp_path / "a", role_a,
                 password="role a password").exit_code == 0
    settings = make_settings(url_a, tmp_path / "a", database_app_role=role_a,
                             database_app_password="role a password")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.get("/readyz")).status_code == 200
            assert (await register(client, unique_email())).status_code == 202
            with psycopg.connect(libpq_dsn(url_a)) as conn:
                users = conn.execute(
                    "SELECT DISTINCT usename FROM pg_stat_activity"
                    " WHERE datname = %s AND application_name = 'pitchlab'", (url_a.database,)
                ).fetchall()
    assert users == [(role_a,)]


@pytest.mark.parametrize(
    "name", ['pitchlab"; DROP ROLE postgres; --', "Pitchlab", "pg_signal_backend", "1abc",
             "", "a" * 64, "app role"],
)
def test_role_names_that_need_quoting_or_are_reserved_are_refused(name, tmp_path):
    with pytest.raises(ValidationError):
        Settings(_env_file=None, database_app_role=name, data_dir=tmp_path)


# --- with password authentication ------------------------------------------------------------
# The test server trusts local connections, so there a password that does not match still gets
# in. A private embedded server that checks passwords shows the lock-out itself.

@pytest.fixture(scope="module")
def password_server(tmp_path_factory):
    pgdata = tmp_path_factory.mktemp("password-server") / "pgdata"
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    (pgdata / "pg_hba.conf").write_text(
        "local all postgres trust\nlocal all all scram-sha-256\n"
    )
    server.psql("SELECT pg_reload_conf();")
    yield normalize_url(server.get_uri())
    server.cleanup()


def can_log_in(url, role: str, password: str) -> bool:
    try:
        with psycopg.connect(libpq_dsn(url.set(username=role, password=password))):
            return True
    except psycopg.OperationalError as exc:
        assert "password authentication failed" in str(exc)
        return False


def test_a_second_deployment_sharing_the_role_cannot_lock_the_first_out(
    password_server, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    url_a = create_scratch_database(password_server, "deployment_a")
    url_b = create_scratch_database(password_server, "deployment_b")
    dir_a, dir_b = tmp_path / "a", tmp_path / "b"

    assert start(monkeypatch, url_a, dir_a).exit_code == 0  # creates pitchlab_app
    password_a = generated_password(dir_a)
    assert can_log_in(url_a, "pitchlab_app", password_a)
    assert not can_log_in(url_a, "pitchlab_app", "not the password")

    # B, same cluster, same (default) role, its own generated password: it must not take the
    # role over. It stops with a message saying what to set, and A keeps working.
    refused = start(monkeypatch, url_b, dir_b)
    assert refused.exit_code == 2  # a startup error: the operator must change a setting
    assert "PITCHLAB_DATABASE_APP_PASSWORD" in refused.output
    assert "PITCHLAB_DATABASE_APP_ROLE" in refused.output
    assert generated_password(dir_b) not in refused.output
    assert can_log_in(url_a, "pitchlab_app", password_a)

    # B with a role of its own: both work, and A starting again changes nothing for B.
    assert start(monkeypatch, url_b, dir_b, "deployment_b_app").exit_code == 0
    assert start(monkeypatch, url_a, dir_a).exit_code == 0
    assert can_log_in(url_a, "pitchlab_app", password_a)
    assert can_log_in(url_b, "deployment_b_app", generated_password(dir_b))

    # Sharing the role works when B is told its password.
    assert start(monkeypatch, url_b, tmp_path / "c", password=password_a).exit_code == 0
    assert can_log_in(url_a, "pitchlab_app", password_a)
