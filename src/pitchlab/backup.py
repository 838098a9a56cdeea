"""Backups with PostgreSQL's own tools: ``pg_dump`` in custom format, ``pg_restore`` back.

The custom format (``-Fc``) is compressed, and ``pg_restore`` can restore it into a database of
another name, or a part of it. The tools come from the machine (``pg_dump`` on PATH) for a
configured server, and from the ``pgserver`` package for the embedded one: its server is newer than
most machines' client, and a ``pg_dump`` older than its server refuses to dump it.

The password travels in ``PGPASSWORD``, never on the command line, where every user of the machine
could read it (``ps``). Restores run as the owner role without the dump's owners (``--no-owner``),
so the objects belong to whoever runs migrations here, and keep the dump's grants to the
application role, which is created first if the cluster lacks it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy.engine import URL

from pitchlab.database_setup import libpq_dsn


class BackupError(Exception):
    """A dump or restore that failed: what the tool said, never the password."""


@dataclass(frozen=True)
class Target:
    """A database for the tools: its conninfo without the password, the password apart, and the
    directory of the tools to run (None: the ones on PATH)."""

    conninfo: str
    password: str | None
    bin_dir: Path | None

    @classmethod
    def of(cls, owner_url: URL, *, embedded: bool) -> Target:
        params = conninfo_to_dict(libpq_dsn(owner_url))
        password = params.pop("password", None)
        return cls(make_conninfo("", **params), None if password is None else str(password),
                   tools_dir(embedded=embedded))

    def run(self, tool: str, *args: str) -> None:
        binary = str(self.bin_dir / tool) if self.bin_dir else tool
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        done = subprocess.run([binary, *args, "--dbname", self.conninfo], env=env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            said = done.stderr.strip().splitlines()
            raise BackupError(f"{tool} failed (exit {done.returncode}): "
                              + ("; ".join(said[-3:]) if said else "no message"))


def tools_dir(*, embedded: bool) -> Path | None:
    """Where pg_dump and pg_restore are: pgserver's for the embedded server, or when the machine
    has none; else None (the machine's, on PATH)."""
    if not embedded and shutil.which("pg_dump") and shutil.which("pg_restore"):
        return None
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def backup(target: Target, file: Path) -> int:
    """Dump the whole database to ``file`` (custom format); its size in bytes."""
    file.parent.mkdir(parents=True, exist_ok=True)
    # Created private before pg_dump writes into it (it keeps an existing file's mode): a dump
    # holds every password hash, transcript and encrypted key.
    os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    file.chmod(0o600)
    target.run("pg_dump", "--format=custom", "--file", str(file))
    return file.stat().st_size


def restore(target: Target, file: Path, app_role: str) -> None:
    """Restore ``file`` into the target database, replacing the objects it holds (empty or not),
    in one transaction: a failed restore leaves the database as it was."""
    if not file.is_file():
        raise BackupError(f"{file} is not a file")
    target.run("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
               "--exit-on-error", str(file))
    _grant_connect(target, app_role)


def _grant_connect(target: Target, app_role: str) -> None:
    # A database's own grants are not in a dump made without --create: the migrations' CONNECT
    # for the application role is given again here.
    with psycopg.connect(target.conninfo, password=target.password, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(name[0]), sql.Identifier(app_role)))
