"""Getting a database ready: the embedded server, migrations, and the application role.

Used by the CLI and the tests, never on a request path.

The application role belongs to the whole PostgreSQL cluster, so other deployments on the same
server may share it. Its password is therefore set only when this start creates the role, or when
``PITCHLAB_DATABASE_APP_PASSWORD`` says what it must be; a password generated in ``data_dir`` never
replaces one that is already there.

Whatever the operator must fix (no server at the URL, a missing database, a role whose password
is not ours, a data dir that cannot be written) ends in a ``StartupError`` that names the setting.
Alembic is loaded only when there is something to migrate.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from pydantic import SecretStr
from sqlalchemy.engine import URL

from pitchlab import database_probe
from pitchlab.config import Settings
from pitchlab.db import DEFAULT_APP_ROLE, app_role_url, checked_role_name, normalize_url
from pitchlab.production import check_production
from pitchlab.startup import DATABASE_URL, StartupError, check_data_dir, needs_data_dir

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
EMBEDDED_DATABASE = database_probe.EMBEDDED_DATABASE


class _EmbeddedServer(Protocol):
    """What is used of a ``pgserver`` server (the package has no type hints)."""

    def get_uri(self) -> str: ...


# The embedded server must live as long as the process that started it; pgserver stops it when
# the last process using it exits.
_embedded_servers: dict[Path, _EmbeddedServer] = {}


def alembic_config(owner_url: URL, app_role: str = DEFAULT_APP_ROLE) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["owner_url"] = owner_url
    config.attributes["app_role"] = checked_role_name(app_role)
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have exactly one head, found {heads}")
    return heads[0]


def upgrade(owner_url: URL, revision: str = "head", *, app_role: str = DEFAULT_APP_ROLE) -> None:
    # Alembic announces each of its autogenerate plugins at INFO as it loads: noise here.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic import command

    command.upgrade(alembic_config(owner_url, app_role), revision)


def downgrade(owner_url: URL, revision: str = "base", *, app_role: str = DEFAULT_APP_ROLE) -> None:
    from alembic import command

    command.downgrade(alembic_config(owner_url, app_role), revision)


def libpq_dsn(url: URL) -> str:
    """A SQLAlchemy URL as the conninfo string that psycopg and libpq take. Key/value form, so
    that any password (spaces, quotes, ``@``) survives, which a rendered URL does not promise."""
    params: dict[str, str | int | None] = {
        "host": url.host, "port": url.port, "user": url.username, "password": url.password,
        "dbname": url.database,
    }
    # e.g. host=/socket/dir for a unix socket, sslmode; a repeated one (host=a&host=b) is
    # libpq's comma-separated list
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else ",".join(value)
    return make_conninfo("", **{key: value for key, value in params.items() if value is not None})


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
        except psycopg.errors.InsufficientPrivilege:
            raise StartupError(
                DATABASE_URL,
                f"its role {owner_url.username} may not create the application role {role}",
                "grant it CREATEROLE once, or create the role yourself (LOGIN NOSUPERUSER"
                " NOBYPASSRLS, with a password) and set PITCHLAB_DATABASE_APP_PASSWORD to it",
            ) from None
    log.info("created the application role %s", role)
    return True


# Starts that set one role's password at the same moment (a server and its worker, parallel test
# workers): each is refused at most once per other start that commits first, so this many
# attempts see ten simultaneous starts through.
_ROLE_UPDATE_ATTEMPTS = 10


def set_app_role_password(owner_url: URL, password: str, role: str = DEFAULT_APP_ROLE) -> None:
    checked_role_name(role)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        statement = sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
            sql.Identifier(role), sql.Literal(_password_verifier(conn, role, password))
        )
        for attempt in range(1, _ROLE_UPDATE_ATTEMPTS + 1):
            try:
                conn.execute(statement)
                return
            except psycopg.errors.InternalError_ as exc:
                # PostgreSQL updates a role's row without locking it first: of two starts
                # altering it at once, the second is refused once the first has committed
                # ("tuple concurrently updated"). Done again, it applies on top.
                if "tuple concurrently updated" not in str(exc) or attempt == _ROLE_UPDATE_ATTEMPTS:
                    raise


def check_app_role_login(app_url: URL, *, password_given: bool, timeout: int) -> None:
    """Connect once as the application role, so that a password that does not match (the role
    was created by another deployment, or by hand) stops the start with a clear message rather
    than failing every request."""
    dsn = libpq_dsn(app_url)
    try:
        with psycopg.connect(dsn, connect_timeout=timeout):
            pass
    except psycopg.OperationalError as exc:
        if "password authentication failed" not in str(exc):
            raise database_probe.connection_error(
                dsn, exc, timeout, setting="PITCHLAB_DATABASE_APP_ROLE"
            ) from None
        source = (
            "PITCHLAB_DATABASE_APP_PASSWORD" if password_given
            else "the password generated in PITCHLAB_DATA_DIR/secrets/database_app_password"
        )
        raise StartupError(
            "PITCHLAB_DATABASE_APP_PASSWORD",
            f"the database role {app_url.username} exists but does not accept {source}"
            " (Pitchlab sets a role's password only when it creates the role, or when"
            " PITCHLAB_DATABASE_APP_PASSWORD is given)",
            "set PITCHLAB_DATABASE_APP_PASSWORD to the role's password (or to a new one, which"
            " is then set), or give this deployment a role of its own with"
            " PITCHLAB_DATABASE_APP_ROLE",
        ) from None


def start_embedded_server(data_dir: Path) -> URL:
    """Start (or join) the embedded PostgreSQL kept in ``data_dir/postgres``; return its owner URL.

    Joining one that another process runs (``pitchlab serve``) keeps it up until both are done,
    and says nothing."""
    check_data_dir(data_dir)
    pgdata = (data_dir / "postgres").resolve()
    server = _embedded_servers.get(pgdata)
    if server is None:
        if database_probe.running_embedded_conninfo(data_dir) is None:
            log.info("starting embedded PostgreSQL in %s", pgdata)
        server = _pgserver(pgdata)
        _embedded_servers[pgdata] = server
    maintenance_url = normalize_url(server.get_uri())
    ensure_database_exists(maintenance_url, EMBEDDED_DATABASE)
    return maintenance_url.set(database=EMBEDDED_DATABASE)


def _pgserver(pgdata: Path) -> _EmbeddedServer:
    with warnings.catch_warnings():
        # pgserver keeps its lock file in the user's runtime dir; where there is no
        # XDG_RUNTIME_DIR (containers, ssh sessions) platformdirs falls back to a private dir
        # under /tmp and warns about it on import. The fallback works: say nothing.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import pgserver  # only development without PITCHLAB_DATABASE_URL needs it

    try:
        pgdata.mkdir(parents=True, exist_ok=True)
        return pgserver.get_server(pgdata, cleanup_mode="stop")
    except (OSError, subprocess.SubprocessError) as exc:
        raise StartupError(
            "PITCHLAB_DATA_DIR",
            f"the embedded PostgreSQL in {pgdata} did not start ({exc})",
            f"read {pgdata / 'log'}; or set {DATABASE_URL} to a PostgreSQL server you run",
        ) from None


def ensure_database_exists(maintenance_url: URL, name: str) -> None:
    with psycopg.connect(libpq_dsn(maintenance_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def owner_url(settings: Settings) -> URL:
    """The owner URL from the settings, starting the embedded server when none is configured."""
    if settings.database_url is not None:
        raw = settings.database_url.get_secret_value()
        database_probe.configured_conninfo(raw)  # a StartupError when it is not a URL
        return normalize_url(raw)
    return start_embedded_server(settings.data_dir)


def resolved_secret(secret: SecretStr | None) -> str:
    """The value of a setting that ``prepare_database`` resolves (the database URL, and the
    secrets ``Settings.with_generated_secrets`` fills), read from the settings it returned."""
    if secret is None:
        raise RuntimeError("read a resolved secret from the settings prepare_database returned")
    return secret.get_secret_value()


def prepare_database(settings: Settings, *, migrate: bool = True) -> tuple[Settings, URL]:
    """Resolve the database, create the application role if it is missing, apply migrations,
    and set the role's password if (and only if) it was given explicitly.

    Returns settings whose ``database_url`` is concrete (so child commands and the app agree) and
    the application role's URL.
    """
    check_production(settings)  # before any secret is generated
    password_given = settings.database_app_password is not None
    if needs_data_dir(settings):
        check_data_dir(settings.data_dir)
    settings = settings.with_generated_secrets()
    url = owner_url(settings)
    timeout = settings.database_connect_timeout_seconds
    with database_probe.connect(libpq_dsn(url), timeout) as conn:  # says what is wrong, if so
        at_head = database_probe.is_at_head(conn)
    role = settings.database_app_role
    password = resolved_secret(settings.database_app_password)
    created = create_app_role_if_missing(url, role, password)
    if migrate and not at_head:
        upgrade(url, app_role=role)
    if password_given and not created:
        try:
            set_app_role_password(url, password, role)
        except psycopg.errors.InsufficientPrivilege:
            # An operator-made role and an owner without CREATEROLE: fine if the password is
            # already the role's, which the login check below finds out.
            log.info("the owner may not set the password of role %s; keeping it as it is", role)
    app_url = app_role_url(url, password, role)
    check_app_role_login(app_url, password_given=password_given, timeout=timeout)
    resolved = settings.model_copy(
        update={"database_url": SecretStr(url.render_as_string(hide_password=False))}
    )
    return resolved, app_url

