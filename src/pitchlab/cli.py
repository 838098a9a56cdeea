"""The ``pitchlab`` command. Every subcommand reads the same Settings, so a command run beside a
running server (same environment or ``.env``) uses the same database."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import time
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.engine import URL

from pitchlab.config import Settings
from pitchlab.database_setup import DatabaseSetupError, prepare_database
from pitchlab.db import Database
from pitchlab.errors import AppError
from pitchlab.logging_setup import configure_logging

cli = typer.Typer(help="Pitchlab: the API server, its workers and operator tools.", no_args_is_help=True)
db_cli = typer.Typer(help="Database migrations and backups.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
keys_cli = typer.Typer(help="The API-key vault.", no_args_is_help=True)
cli.add_typer(keys_cli, name="keys")

log = logging.getLogger("pitchlab.cli")


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level)
    return settings


def _prepared() -> tuple[Settings, URL]:
    """The settings, with the database migrated and ready; a setup the operator must fix (say,
    an application role whose password is not ours) ends the command with its message."""
    try:
        return prepare_database(_settings())
    except DatabaseSetupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the API, after applying migrations (and starting the embedded PostgreSQL if needed)."""
    from pitchlab.app import create_app

    started = time.perf_counter()
    settings, _ = _prepared()
    app = create_app(settings)
    log.info("database ready in %.2fs; listening on http://%s:%d", time.perf_counter() - started, host, port)
    # uvicorn re-raises the SIGTERM it caught once it has shut down; exiting through SystemExit
    # instead lets atexit stop the embedded PostgreSQL this process started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True,
                ws="websockets-sansio")


@cli.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once.")] = 4,
) -> None:
    """Run job workers only (no HTTP). Scale out by running more of these.

    A database outage stops the worker; it is started again (and says so in the log) once the
    database answers. SIGTERM or Ctrl-C lets the running jobs finish, then exits."""
    from pitchlab.jobs.queue import WorkerResources, build_job_app
    from pitchlab.jobs.supervisor import Backoff, supervise_worker
    from pitchlab.providers import build_providers
    from pitchlab.security.vault import KeyRing, Vault

    settings, app_url = _prepared()
    timeout = settings.database_connect_timeout_seconds
    backoff = Backoff(
        settings.worker_restart_backoff_seconds, settings.worker_restart_backoff_max_seconds
    )

    async def run() -> None:
        _cancel_on_stop_signals(asyncio.current_task())
        database = Database(app_url, pool_size=concurrency, connect_timeout=timeout)
        job_app = build_job_app(app_url, pool_size=concurrency + 1, connect_timeout=timeout)
        vault = Vault(KeyRing.parse(settings.encryption_keys.get_secret_value()))
        resources = WorkerResources(settings, database, build_providers(settings, vault))
        try:
            async with job_app.open_async():
                log.info("worker started with concurrency %d", concurrency)
                await supervise_worker(
                    job_app, resources, concurrency=concurrency, backoff=backoff
                )
        except asyncio.CancelledError:
            log.info("worker stopped")
        finally:
            await resources.providers.aclose()
            await database.dispose()

    asyncio.run(run())


def _cancel_on_stop_signals(task: asyncio.Task) -> None:
    # Cancelling the worker is procrastinate's graceful stop: running jobs finish first. The
    # supervisor tells that apart from the worker stopping on its own, which it restarts.
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, task.cancel)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    _prepared()
    typer.echo("database is at head")


@cli.command("create-superadmin")
def create_superadmin(
    email: Annotated[str, typer.Option(help="The operator's email address.")],
    password: Annotated[
        str | None, typer.Option(help="Prompted for (hidden) when omitted.")
    ] = None,
) -> None:
    """Create a platform operator (super admin) and print its user id."""
    from pitchlab.users.operators import create_super_admin

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings, app_url = _prepared()
    try:
        user_id = _run_with_database(
            (settings, app_url), lambda db: create_super_admin(db, settings, email, password)
        )
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(str(user_id))


def _run_with_database(settings_and_url, work):
    """Run ``work(database)`` on a small pool of the application role, then close it."""
    _, app_url = settings_and_url

    async def run():
        database = Database(app_url, pool_size=1)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


@cli.command()
def outbox(
    to: Annotated[str | None, typer.Option("--to", help="Only messages to this address.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """The emails Pitchlab composed (the offline provider's mailbox), newest first, with links."""
    from pitchlab.db import system_context
    from pitchlab.notifications.outbox import as_dict, list_messages

    async def read(database: Database):
        async with database.transaction(system_context("outbox_cli")) as session:
            return [as_dict(m) for m in await list_messages(session, to, limit)]

    messages = _run_with_database(_prepared(), read)
    if as_json:
        typer.echo(json.dumps(messages, indent=2))
        return
    if not messages:
        typer.echo("no messages")
    for message in messages:
        typer.echo(f"{message['created_at']}  {message['status']:<7}  to {message['to']}")
        typer.echo(f"  {message['subject']}")
        for link in message["links"]:
            typer.echo(f"  {link}")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored API key under the first key of PITCHLAB_ENCRYPTION_KEYS."""
    from pitchlab.security.key_rotation import rotate_api_keys
    from pitchlab.security.vault import KeyRing, Vault

    settings, app_url = _prepared()
    vault = Vault(KeyRing.parse(settings.encryption_keys.get_secret_value()))
    rotated = _run_with_database((settings, app_url), lambda db: rotate_api_keys(db, vault))
    typer.echo(f"re-encrypted {rotated} API key(s) under key {vault.ring.current_id}")


@cli.command()
def demo() -> None:
    """A scripted practice call against the offline prospect, ending with its feedback report."""
    from pitchlab.demo import run_demo

    settings, _ = _prepared()
    logging.getLogger().setLevel(logging.WARNING)  # the conversation, not the plumbing
    asyncio.run(run_demo(settings, typer.echo))


def main() -> None:
    cli(prog_name="pitchlab")


if __name__ == "__main__":
    sys.exit(main())
