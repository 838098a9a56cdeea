"""Getting a database ready: the embedded server, migrations, and the application role.

Used by the CLI and the tests, never on a request path.

The application role belongs to the whole PostgreSQL cluster, so other deployments on the same
server may share it. Its password is therefore set only when this start creates the role, or when
``PITCHLAB_DATABASE_APP_PASSWORD`` says what it must be; a password generated in ``data_dir`` never
replaces one that is already there.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql
from psycopg.conninfo import make_conninfo
from pydantic import SecretStr
from sqlalchemy.engine import URL

from pitchlab.config import Settings
from pitchlab.db import DEFAULT_APP_ROLE, app_role_url, checked_role_name, normalize_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
EMBEDDED_DATABASE = "pitchlab"

# The embedded server must live as long as the process that started it; pgserver stops it when
# the last process using it exits.
_embedded_servers: dict[Path, object] = {}


class DatabaseSetupError(RuntimeError):
    """The database cannot be used as configured; the message says what to change."""


def alembic_config(owner_url: URL, app_role: str = DEFAULT_APP_ROLE) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["owner_url"] = owner_url
    config.attributes["app_role"] = checked_role_name(app_role)
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have exactly one head, found {heads}")
    return heads[0]


def upgrade(owner_url: URL, revision: str = "head", *, app_role: str = DEFAULT_APP_ROLE) -> None:
    command.upgrade(alembic_config(owner_url, app_role), revision)


def downgrade(owner_url: URL, revision: str = "base", *, app_role: str = DEFAULT_APP_ROLE) -> None:
    command.downgrade(alembic_config(owner_url, app_role), revision)


def libpq_dsn(url: URL) -> str:
    """A SQLAlchemy URL as the conninfo string that psycopg and libpq take. Key/value form, so
    that any password (spaces, quotes, ``@``) survives, which a rendered URL does not promise."""
    params = {
        "host": url.host, "port": url.port, "user": url.username, "password": url.password,
        "dbname": url.database,
    }
    params.update(url.query)  # e.g. host=/socket/dir for a unix socket, sslmode
    return make_conninfo(**{key: value for key, value in params.items() if value is not None})


_ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT"


def _password_verifier(conn: psycopg.Connection, role: str, password: str) -> str:
    # Hashed here (SCRAM, or whatever the server's password_encryption asks for), so the
    # plain password never reaches the server, nor its statement log.
    return conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()


def create_app_role_if_missing(owner_url: URL, role: str, password: str) -> bool:
    """Create the application role with ``password`` unless it exists; True when created."""
    checked_role_name(role)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            return False
        statement = sql.SQL("CREATE ROLE {} " + _ROLE_ATTRIBUTES + " PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(_password_verifier(conn, role, password))
        )
        try:
            conn.execute(statement)
        except psycopg.errors.DuplicateObject:
            return False  # another process starting at the same moment created it
    log.info("created the application role %s", role)
    return True


def set_app_role_password(owner_url: URL, password: str, role: str = DEFAULT_APP_ROLE) -> None:
    checked_role_name(role)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(_password_verifier(conn, role, password))
            )
        )


def check_app_role_login(app_url: URL, *, password_given: bool, timeout: int) -> None:
    """Connect once as the application role, so that a password that does not match (the role
    was created by another deployment, or by hand) stops the start with a clear message rather
    than failing every request."""
    try:
        with psycopg.connect(libpq_dsn(app_url), connect_timeout=timeout):
            pass
    except psycopg.OperationalError as exc:
        if "password authentication failed" not in str(exc):
            raise
        source = (
            "PITCHLAB_DATABASE_APP_PASSWORD" if password_given
            else "the password generated in PITCHLAB_DATA_DIR/secrets/database_app_password"
        )
        raise DatabaseSetupError(
            f"the database role {app_url.username} exists but does not accept {source}."
            " Pitchlab sets a role's password only when it creates the role or when"
            " PITCHLAB_DATABASE_APP_PASSWORD is given: set PITCHLAB_DATABASE_APP_PASSWORD to the"
            " role's password (or to a new one, which is then set), or give this deployment a"
            " role of its own with PITCHLAB_DATABASE_APP_ROLE."
        ) from None


def start_embedded_server(data_dir: Path) -> URL:
    """Start (or join) the embedded PostgreSQL kept in ``data_dir/postgres``; return its owner URL."""
    import pgserver  # imported here: only development without PITCHLAB_DATABASE_URL needs it

    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = _embedded_servers.get(pgdata)
    if server is None:
        log.info("starting embedded PostgreSQL in %s", pgdata)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        _embedded_servers[pgdata] = server
    maintenance_url = normalize_url(server.get_uri())
    ensure_database_exists(maintenance_url, EMBEDDED_DATABASE)
    return maintenance_url.set(database=EMBEDDED_DATABASE)


def ensure_database_exists(maintenance_url: URL, name: str) -> None:
    with psycopg.connect(libpq_dsn(maintenance_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def owner_url(settings: Settings) -> URL:
    """The owner URL from the settings, starting the embedded server when none is configured."""
    if settings.database_url is not None:
        return normalize_url(settings.database_url.get_secret_value())
    return start_embedded_server(settings.data_dir)


def prepare_database(settings: Settings, *, migrate: bool = True) -> tuple[Settings, URL]:
    """Resolve the database, create the application role if it is missing, apply migrations,
    and set the role's password if (and only if) it was given explicitly.

    Returns settings whose ``database_url`` is concrete (so child commands and the app agree) and
    the application role's URL.
    """
    password_given = settings.database_app_password is not None
    settings = settings.with_generated_secrets()
    url = owner_url(settings)
    role = settings.database_app_role
    password = settings.database_app_password.get_secret_value()
    created = create_app_role_if_missing(url, role, password)
    if migrate:
        upgrade(url, app_role=role)
    if password_given and not created:
        try:
            set_app_role_password(url, password, role)
        except psycopg.errors.InsufficientPrivilege:
            # An operator-made role and an owner without CREATEROLE: fine if the password is
            # already the role's, which the login check below finds out.
            log.info("the owner may not set the password of role %s; keeping it as it is", role)
    app_url = app_role_url(url, password, role)
    check_app_role_login(
        app_url, password_given=password_given, timeout=settings.database_connect_timeout_seconds
    )
    resolved = settings.model_copy(
        update={"database_url": SecretStr(url.render_as_string(hide_password=False))}
    )
    return resolved, app_url

