"""Getting a database ready: the embedded server, migrations, and the application role.

Used by the CLI and the tests, never on a request path.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql
from pydantic import SecretStr
from sqlalchemy.engine import URL

from pitchlab.config import Settings
from pitchlab.db import APP_ROLE, app_role_url, normalize_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
EMBEDDED_DATABASE = "pitchlab"

# The embedded server must live as long as the process that started it; pgserver stops it when
# the last process using it exits.
_embedded_servers: dict[Path, object] = {}


def alembic_config(owner_url: URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["owner_url"] = owner_url
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have exactly one head, found {heads}")
    return heads[0]


def upgrade(owner_url: URL, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner_url), revision)


def downgrade(owner_url: URL, revision: str = "base") -> None:
    command.downgrade(alembic_config(owner_url), revision)


def libpq_dsn(url: URL) -> str:
    """A SQLAlchemy URL as the plain ``postgresql://`` string that psycopg and libpq take."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def set_app_role_password(owner_url: URL, password: str) -> None:
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(password)
            )
        )


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
    """Resolve the database, apply migrations and set the application role's password.

    Returns settings whose ``database_url`` is concrete (so child commands and the app agree) and
    the application role's URL.
    """
    settings = settings.with_generated_secrets()
    url = owner_url(settings)
    if migrate:
        upgrade(url)
    password = settings.database_app_password.get_secret_value()
    set_app_role_password(url, password)
    resolved = settings.model_copy(
        update={"database_url": SecretStr(url.render_as_string(hide_password=False))}
    )
    return resolved, app_role_url(url, password)

