"""The ``pitchlab`` command. Every subcommand reads the same Settings, so a command run beside a
running server (same environment or ``.env``) uses the same database.

Only typer and the light startup checks load at import, so ``pitchlab --help`` answers at once;
each command imports what it needs (the app, SQLAlchemy, the job queue) when it runs. A setting
the operator must fix ends any command with two lines on stderr and exit code 2 (``StartupError``,
caught once in ``_Commands.invoke``), found before anything heavy loads or any migration runs.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict, TypeVar

import typer
from typer.core import TyperGroup

from pitchlab.startup import (
    EXIT_CODE,
    StartupError,
    bind_listening_socket,
    check_data_dir,
    needs_data_dir,
    served_url,
    settings_error,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    # typer ships its own copy of click; TyperGroup.invoke is typed with that copy's Context
    from typer._click import Context

    from pitchlab.backup import Target
    from pitchlab.config import Settings
    from pitchlab.db import Database

T = TypeVar("T")


class _Commands(TyperGroup):
    """Runs a command; a startup failure becomes its two lines and exit code 2, no traceback."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except StartupError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(EXIT_CODE) from None


class _PlainOptions(TypedDict):
    rich_markup_mode: Literal["markdown", "rich", None]
    pretty_exceptions_enable: bool
    no_args_is_help: bool


# Plain help and tracebacks: rich's formatting alone takes longer to load than the help it
# prints (``python -X importtime``), and ``--help`` should answer at once.
_PLAIN = _PlainOptions(rich_markup_mode=None, pretty_exceptions_enable=False, no_args_is_help=True)
cli = typer.Typer(
    cls=_Commands, help="Pitchlab: the API server, its workers and operator tools.", **_PLAIN
)
db_cli = typer.Typer(help="Database migrations, backups and restores.", **_PLAIN)
cli.add_typer(db_cli, name="db")
keys_cli = typer.Typer(help="The API-key vault.", **_PLAIN)
cli.add_typer(keys_cli, name="keys")

log = logging.getLogger("pitchlab.cli")


def _settings(*, structured_logs: bool = True) -> Settings:
    """The settings, and the process's logging configured from them. ``structured_logs=False``
    for a quick command that prints its answer (``outbox``): structlog (and the rich it loads)
    would double its start-up, and its rare warnings read fine on Python's plain handler."""
    from pydantic import ValidationError

    from pitchlab.config import Settings
    from pitchlab.security.passwords import warn_if_below_production_cost

    try:
        settings = Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None
    if structured_logs:
        from pitchlab.logging_setup import configure_logging

        configure_logging(settings.log_level, settings.log_format)
    warn_if_below_production_cost(settings.bcrypt_rounds)
    return settings


def _check_before_loading(settings: Settings) -> None:
    """The checks that need nothing heavy: the data dir, and a configured database answering.
    A wrong setting is then reported in about a second, not after the app has loaded."""
    from pitchlab import database_probe
    from pitchlab.production import check_production

    check_production(settings)
    if needs_data_dir(settings):
        check_data_dir(settings.data_dir)
    if settings.database_url is not None:
        conninfo = database_probe.configured_conninfo(settings.database_url.get_secret_value())
        database_probe.connect(conninfo, settings.database_connect_timeout_seconds).close()


def _prepared(settings: Settings | None = None) -> tuple[Settings, URL]:
    """The settings with the database migrated and ready, and the application role's URL."""
    settings = _settings() if settings is None else settings
    _check_before_loading(settings)
    from pitchlab.database_setup import prepare_database

    return prepare_database(settings)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, help="Server processes sharing the port (one per core to use them all).")] = 1,
) -> None:
    """Run the API, after applying migrations.

    With PITCHLAB_DATABASE_URL unset, it starts the embedded PostgreSQL first. Links in emails
    and each call's stream.url start with PITCHLAB_PUBLIC_URL; unset, with the address served
    here (0.0.0.0 and :: as this machine's loopback). With --workers N, N processes serve the
    port under a supervisor (pitchlab.multiprocess)."""
    started = time.perf_counter()
    settings = _settings()
    # The port first: a taken one stops the start before any migration runs.
    sock = bind_listening_socket(host, port)
    port = sock.getsockname()[1]
    if settings.public_url is None:
        settings = settings.model_copy(update={"public_url": served_url(host, port)})
    settings, _ = _prepared(settings)
    log.info("database ready in %.2fs; listening on %s (public URL %s)%s",
             time.perf_counter() - started, served_url(host, port), settings.public_url,
             f" with {workers} server processes" if workers > 1 else "")
    # uvicorn re-raises the SIGTERM it caught once it has shut down; exiting through SystemExit
    # instead lets atexit stop the embedded PostgreSQL this process started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if workers == 1:
        _serve_on(sock, host, port, settings)
        return
    # Imported once here, before the fork: each child starts with the modules loaded (and shares
    # their memory) instead of spending seconds importing them side by side.
    import pitchlab.app
    import pitchlab.shutdown  # noqa: F401
    from pitchlab.multiprocess import serve_in_processes

    raise typer.Exit(serve_in_processes(workers, lambda: _serve_on(sock, host, port, settings)))


def _serve_on(sock: Any, host: str, port: int, settings: Settings) -> None:
    """Build the app and serve ``sock`` until a stop signal has drained it."""
    import uvicorn

    from pitchlab.app import create_app
    from pitchlab.shutdown import serve_until_stopped

    app = create_app(settings)
    # Forwarded headers are the app's business (PITCHLAB_TRUSTED_PROXIES, http/proxy_headers.py).
    config = uvicorn.Config(app, host=host, port=port, log_config=None, proxy_headers=False,
                            ws="websockets-sansio")
    # SIGTERM: new calls refused, live calls ended and billed, in-flight requests finished
    serve_until_stopped(app, config, sock, settings.shutdown_grace_seconds)


@cli.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once.")] = 4,
) -> None:
    """Run job workers only (no HTTP). Scale out by running more of these.

    A database outage stops the worker; it is started again (and says so in the log) once the
    database answers. SIGTERM or Ctrl-C lets the running jobs finish, then exits."""
    import asyncio

    settings, app_url = _prepared()

    from pitchlab.cache import cache_from_settings
    from pitchlab.database_setup import resolved_secret
    from pitchlab.db import Database
    from pitchlab.jobs.queue import WorkerResources, build_job_app
    from pitchlab.jobs.supervisor import Backoff, supervise_worker
    from pitchlab.providers import build_providers
    from pitchlab.security.vault import KeyRing, Vault

    timeout = settings.database_connect_timeout_seconds
    backoff = Backoff(
        settings.worker_restart_backoff_seconds, settings.worker_restart_backoff_max_seconds
    )

    async def run() -> None:
        _cancel_on_stop_signals()
        database = Database(app_url, pool_size=concurrency, connect_timeout=timeout,
                            cache=cache_from_settings(settings))  # the API's, to invalidate it
        job_app = build_job_app(app_url, pool_size=concurrency + 1, connect_timeout=timeout)
        vault = Vault(KeyRing.parse(resolved_secret(settings.encryption_keys)))
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


def _cancel_on_stop_signals() -> None:
    """SIGINT and SIGTERM cancel the running task."""
    # Cancelling the worker is procrastinate's graceful stop: running jobs finish first. The
    # supervisor tells that apart from the worker stopping on its own, which it restarts.
    import asyncio

    task = asyncio.current_task()
    if task is None:
        raise RuntimeError("_cancel_on_stop_signals runs inside the task it cancels")
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, task.cancel)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (nothing to do when the database is at head)."""
    _prepared()
    typer.echo("database is at head")


@db_cli.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="Where to write the dump (custom format).")],
) -> None:
    """Dump the database (the configured one, or the embedded one) with pg_dump -Fc."""
    settings = _settings()
    _check_before_loading(settings)
    from pitchlab.backup import backup
    from pitchlab.database_setup import owner_url

    url = owner_url(settings)
    size = _backup_step(lambda: backup(_target(settings, url), file))
    typer.echo(f"backed up database {url.database} to {file} ({size} bytes)")


@db_cli.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A dump made by `pitchlab db backup`.")],
) -> None:
    """Restore a dump into the database, replacing what it holds, then migrate it to head.

    The application role is created first when the server lacks it (a new server)."""
    settings = _settings()
    _check_before_loading(settings)
    from pitchlab.backup import restore
    from pitchlab.database_setup import create_app_role_if_missing, owner_url, resolved_secret

    url = owner_url(settings)
    role = settings.database_app_role
    secrets = settings.with_generated_secrets()
    create_app_role_if_missing(url, role, resolved_secret(secrets.database_app_password))
    _backup_step(lambda: restore(_target(settings, url), file, role))
    _prepared(settings)  # a dump from older code is migrated; the role's login checked
    typer.echo(f"restored {file} into database {url.database}; it is at head")


def _target(settings: Settings, url: URL) -> Target:
    """The tools' view of the owner connection; pgserver's tools for the embedded server."""
    from pitchlab.backup import Target

    return Target.of(url, embedded=settings.database_url is None)


def _backup_step(step: Callable[[], T]) -> T:
    from pitchlab.backup import BackupError

    try:
        return step()
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@cli.command()
def probe(
    base_url: Annotated[str, typer.Argument(help="The deployment, e.g. https://api.example.com")],
    email: Annotated[str | None, typer.Option(help="Default: PITCHLAB_PROBE_EMAIL.")] = None,
    password: Annotated[
        str | None, typer.Option(help="Default: PITCHLAB_PROBE_PASSWORD.")
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per request.")] = 10.0,
) -> None:
    """Log in, start a text call, send one turn, end it; exit 0 with the timings, or 1 with the
    step that failed and why. For cron or an uptime monitor. Each run bills the probe account's
    company one minute."""
    settings = _settings()
    email = email or settings.probe_email
    if password is None and settings.probe_password is not None:
        password = settings.probe_password.get_secret_value()
    if not email or not password:
        raise StartupError("PITCHLAB_PROBE_EMAIL", "the probe account is not set",
                           "set PITCHLAB_PROBE_EMAIL and PITCHLAB_PROBE_PASSWORD (or pass"
                           " --email and --password)")
    from pitchlab.probe import ProbeFailed, run_probe

    try:
        result = run_probe(base_url, email, password, timeout=timeout)
    except ProbeFailed as exc:
        typer.echo(f"probe failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(result.summary())


@cli.command("create-superadmin")
def create_superadmin(
    email: Annotated[str, typer.Option(help="The operator's email address.")],
    password: Annotated[
        str | None, typer.Option(help="Prompted for (hidden) when omitted.")
    ] = None,
) -> None:
    """Create a platform operator (super admin); print its id."""
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings, app_url = _prepared()

    from pitchlab.auth.service import create_super_admin
    from pitchlab.kit.errors import DomainError

    try:
        user_id = _run_with_database(
            app_url, lambda db: create_super_admin(db, settings, email, password)
        )
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(str(user_id))


def _run_with_database(app_url: URL, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work(database)`` on a small pool of the application role, then close it."""
    import asyncio

    from pitchlab.db import Database

    async def run() -> T:
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
    """The emails Pitchlab composed, newest first, with links.

    The offline email provider's mailbox, your inbox in development. Beside a running server it
    reads that server's database (the embedded one included) without starting or migrating
    anything."""
    messages = _read_mailbox(_settings(structured_logs=False), to, limit)
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


def _read_mailbox(settings: Settings, to: str | None, limit: int) -> list[dict[str, Any]]:
    from pitchlab import database_probe
    from pitchlab.notifications.mailbox import read_mailbox

    timeout = settings.database_connect_timeout_seconds
    conninfo: str | None
    # Attach: the configured database, or the embedded server another process keeps running;
    # read at once when it is at head. Anything else takes the full start below.
    if settings.database_url is not None:
        conninfo = database_probe.configured_conninfo(settings.database_url.get_secret_value())
    else:
        conninfo = database_probe.running_embedded_conninfo(settings.data_dir)
    if conninfo is not None:
        try:
            with database_probe.connect(conninfo, timeout) as conn:
                if database_probe.is_at_head(conn):
                    return read_mailbox(conn, to, limit)
        except StartupError:
            if settings.database_url is not None:
                raise
            # the embedded server stopped meanwhile, or has no database yet: start it below
    settings, _ = _prepared(settings)

    from pitchlab.database_setup import libpq_dsn, resolved_secret
    from pitchlab.db import normalize_url

    owner = libpq_dsn(normalize_url(resolved_secret(settings.database_url)))
    with database_probe.connect(owner, timeout) as conn:
        return read_mailbox(conn, to, limit)


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored API key under the first key of PITCHLAB_ENCRYPTION_KEYS."""
    settings, app_url = _prepared()

    from pitchlab.database_setup import resolved_secret
    from pitchlab.security.vault import KeyRing, Vault
    from pitchlab.users.service import rotate_api_keys

    vault = Vault(KeyRing.parse(resolved_secret(settings.encryption_keys)))
    rotated = _run_with_database(app_url, lambda db: rotate_api_keys(db, vault))
    typer.echo(f"re-encrypted {rotated} API key(s) under key {vault.ring.current_id}")


@cli.command()
def demo() -> None:
    """A scripted practice call and its feedback report.

    The call is against the offline prospect, through the real API. It uses one demo account
    (pitchlab-demo@example.com, printed with its password) and reuses it on every run; when it
    can no longer start a call (its trial or minutes are used up, or its password was changed)
    it is deleted with its company, calls and mail and created afresh. So at most one demo
    company is ever left, and you can sign in as it afterwards."""
    import asyncio

    settings, _ = _prepared()

    from pitchlab.demo_call import run_demo

    logging.getLogger().setLevel(logging.WARNING)  # the conversation, not the plumbing
    asyncio.run(run_demo(settings, typer.echo))


@cli.command()
def score(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Transcript .json files, or .jsonl files of them.")],
) -> None:
    """Score transcripts offline: one feedback report per transcript, one JSON per line.

    Each PATH is a transcript in the transcript endpoint's shape ({"turns": [{speaker, text,
    start_ms, end_ms}]}, with an optional call_type, duration_seconds and mode), or a .jsonl file
    of them. Each report is the feedback's metrics object, in input order. The local scorer
    scores them, or the language model when PITCHLAB_OPENAI_API_KEY is set (see
    PITCHLAB_OPENAI_BASE_URL and PITCHLAB_OPENAI_MODEL). A transcript that cannot be scored gets
    an error line instead ({"error": {"code": "invalid_transcript", "message", "details"}}) and
    the others still score. Exit code 0 when every transcript was scored, 1 when any was not.
    No database is used."""
    import asyncio

    settings = _settings()

    from pitchlab.feedback.scoring import InvalidTranscript, read_transcripts, score_transcript
    from pitchlab.http.errors import error_body
    from pitchlab.providers import build_scorer
    from pitchlab.security.vault import KeyRing, Vault, generate_key_ring_entry

    # A vault of its own: scoring offline has no user, so no user's key to open.
    scorer = build_scorer(settings, Vault(KeyRing.parse(generate_key_ring_entry())))

    async def run() -> bool:
        all_scored = True
        for read in read_transcripts(paths):
            if isinstance(read, InvalidTranscript):
                all_scored = False
                line = error_body("invalid_transcript", read.message, read.details)
            else:
                line = await score_transcript(read, scorer)
            typer.echo(json.dumps(line, ensure_ascii=False))
        return all_scored

    if not asyncio.run(run()):
        raise typer.Exit(1)


def main() -> None:
    cli(prog_name="pitchlab")


if __name__ == "__main__":
    main()
