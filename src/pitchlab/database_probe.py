"""Reaching the database cheaply, before (or instead of) loading SQLAlchemy and Alembic.

- ``configured_conninfo``: ``PITCHLAB_DATABASE_URL`` checked and turned into a libpq URI.
- ``running_embedded_conninfo``: the embedded server that another process (say ``pitchlab
  serve``) keeps running in ``PITCHLAB_DATA_DIR``, read from its ``postmaster.pid``.
- ``connect``: a connection, or a ``StartupError`` that says why not.
- ``is_at_head``: whether the database's migration revision is the code's, without Alembic.

So a bad URL is reported within a second, and a read-only command beside a running server
(``pitchlab outbox``) attaches to its database rather than starting one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pitchlab.startup import DATABASE_URL, UNSET_FOR_EMBEDDED, StartupError

VERSIONS_DIR = Path(__file__).parent / "migrations" / "versions"
EMBEDDED_DATABASE = "pitchlab"
EMBEDDED_OWNER = "postgres"

_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def configured_conninfo(raw: str) -> str:
    """``PITCHLAB_DATABASE_URL`` as a URI that libpq takes (SQLAlchemy's ``+driver`` dropped)."""
    scheme, separator, rest = raw.strip().partition("://")
    if not separator or scheme.split("+", 1)[0].lower() not in ("postgresql", "postgres"):
        raise _not_a_url()
    uri = f"postgresql://{rest}"
    try:
        params = conninfo_to_dict(uri)  # libpq's own parser: bad escapes, unknown options
    except psycopg.Error:
        raise _not_a_url() from None
    if not all(port.isdigit() for port in str(params.get("port") or "5432").split(",")):
        raise _not_a_url()
    return uri


def _not_a_url() -> StartupError:
    # The value itself is never shown: it may hold a password.
    return StartupError(
        DATABASE_URL, "is not a PostgreSQL URL",
        "write it as postgresql://USER:PASSWORD@HOST:5432/DATABASE, " + UNSET_FOR_EMBEDDED,
    )


def running_embedded_conninfo(data_dir: Path) -> str | None:
    """The owner conninfo of the embedded server running in ``data_dir/postgres``, if one is up
    and ready (its postmaster.pid names a live process), else None."""
    pid_file = data_dir / "postgres" / "postmaster.pid"
    try:
        lines = [line.strip() for line in pid_file.read_text().splitlines()]
    except OSError:
        return None
    # pid, data dir, start time, port, socket dir, listen address, shared memory, status
    if len(lines) < 8 or lines[7] != "ready" or not _process_alive(lines[0]):
        return None
    host = lines[4] or lines[5]
    if not host or not lines[3]:
        return None
    return make_conninfo(host=host, port=lines[3], user=EMBEDDED_OWNER, dbname=EMBEDDED_DATABASE)


def _process_alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # alive, run by another user (pgserver's own user when started by root)
    return True


def connect(conninfo: str, timeout: int, *, setting: str = DATABASE_URL) -> psycopg.Connection:
    """An autocommit connection; a ``StartupError`` naming ``setting`` when there is none."""
    try:
        return psycopg.connect(conninfo, connect_timeout=timeout, autocommit=True)
    except psycopg.OperationalError as exc:
        raise connection_error(conninfo, exc, timeout, setting=setting) from None


def connection_error(
    conninfo: str, exc: Exception, timeout: int, *, setting: str = DATABASE_URL
) -> StartupError:
    """libpq's failure as what failed and what to try (never the password)."""
    params = conninfo_to_dict(conninfo)
    host = params.get("host") or "the local socket"
    where = f"{host}:{params.get('port') or 5432}"
    user = user_default(params)
    database = params.get("dbname") or user  # libpq's default
    reason = str(exc)
    if "does not exist" in reason and f'database "{database}"' in reason:
        return StartupError(
            setting, f'the database "{database}" does not exist on {where}',
            f"create it (createdb -h {host} -U {user} {database}) or name an existing one",
        )
    if "password authentication failed" in reason or f'role "{user}" does not exist' in reason:
        return StartupError(
            setting, f'authentication failed for "{user}" on {where} (unknown role or wrong'
            " password)", "check the user name and password in it, " + UNSET_FOR_EMBEDDED,
        )
    if "Connection refused" in reason or "No such file or directory" in reason:
        return StartupError(
            setting, f"nothing accepts connections at {where} (connection refused)",
            "start PostgreSQL there or correct the host and port, " + UNSET_FOR_EMBEDDED,
        )
    if "translate host name" in reason or "Name or service not known" in reason:
        return StartupError(setting, f"the host {host} is unknown",
                            "correct the host name, " + UNSET_FOR_EMBEDDED)
    if "timeout" in reason.lower():
        return StartupError(
            setting, f"no answer from {where} within {timeout} s",
            "check that the server is reachable from here (a firewall?), or raise"
            " PITCHLAB_DATABASE_CONNECT_TIMEOUT_SECONDS",
        )
    first_line = reason.strip().splitlines()[-1].strip() if reason.strip() else type(exc).__name__
    return StartupError(setting, f"cannot connect to {where}: {first_line}",
                        "check the server and the URL, " + UNSET_FOR_EMBEDDED)


def user_default(params: dict) -> str:
    return params.get("user") or os.environ.get("PGUSER") or _login_name()


def _login_name() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        return getpass.getuser()


def code_head() -> str | None:
    """The code's head revision, read from the migration files' ``revision`` and
    ``down_revision`` lines; None unless there is exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = _REVISION.search(text)
        if revision is None:
            continue
        revisions.add(revision.group(1))
        down = _DOWN_REVISION.search(text)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def database_revision(conn: psycopg.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


def is_at_head(conn: psycopg.Connection) -> bool:
    head = code_head()
    return head is not None and database_revision(conn) == head
