"""Startup failures that the operator must fix, said in two lines: which setting, what failed,
what to try. Every ``pitchlab`` command stops on a ``StartupError`` with exit code 2 and no
traceback (``cli.py`` catches it once).

Kept light (the standard library only, psycopg when a database is named), because these checks
run before the command imports the application, so that a wrong setting is reported in a second
rather than after the whole stack has loaded.
"""

from __future__ import annotations

import errno
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pydantic import SecretStr, ValidationError

EXIT_CODE = 2
DATABASE_URL = "PITCHLAB_DATABASE_URL"
UNSET_FOR_EMBEDDED = f"or unset {DATABASE_URL} to use the embedded database"


class StartupError(Exception):
    """A setting that stops the command before it starts: names it, says what failed and what
    to try. Never carries a secret (no passwords, no full database URLs)."""

    def __init__(self, setting: str, problem: str, hint: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem
        self.hint = hint

    def __str__(self) -> str:
        return f"error: {self.setting}: {self.problem}\n  try: {self.hint}"


def check_data_dir(data_dir: Path) -> None:
    """Make sure ``PITCHLAB_DATA_DIR`` exists and takes new files (secrets, the embedded
    database), before anything is written there."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        raise StartupError(
            "PITCHLAB_DATA_DIR",
            f"{data_dir} is not a writable directory ({exc.strerror or exc})",
            "point PITCHLAB_DATA_DIR at a directory this user may write to"
            " (it keeps generated secrets and the embedded database)",
        ) from None


class StartSettings(Protocol):
    """What the start checks read of ``pitchlab.config.Settings`` (not imported: these checks
    stay below the configuration, and light)."""

    @property
    def database_url(self) -> SecretStr | None: ...
    @property
    def database_app_password(self) -> SecretStr | None: ...
    @property
    def jwt_secret(self) -> SecretStr | None: ...
    @property
    def encryption_keys(self) -> SecretStr | None: ...


def needs_data_dir(settings: StartSettings) -> bool:
    """Whether a start writes to PITCHLAB_DATA_DIR: the embedded server, generated secrets."""
    generated = (settings.database_app_password, settings.jwt_secret, settings.encryption_keys)
    return settings.database_url is None or any(secret is None for secret in generated)


def bind_listening_socket(host: str, port: int) -> socket.socket:
    """Bind the server's socket now, before migrations run, so that a taken port stops the
    start at once. uvicorn later serves on this very socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle off (TCP_NODELAY) only on connections
    # of a socket whose protocol says TCP; without it every kept-alive response and WebSocket
    # frame can wait ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _bind_error(host, port, exc) from None
    sock.set_inheritable(True)
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> StartupError:
    if exc.errno == errno.EADDRINUSE:
        return StartupError(
            "--port", f"port {port} on {host} is already in use",
            f"stop the program using it, or pass another port (--port {port + 1})",
        )
    if exc.errno == errno.EACCES:
        return StartupError(
            "--port", f"this user may not listen on port {port}",
            "pass a port above 1023 (--port 8000)",
        )
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return StartupError(
            "--host", f"{host} is not an address of this machine",
            "pass 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
        )
    return StartupError("--port", f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                        "pass another --host or --port")


def served_url(host: str, port: int) -> str:
    """The URL clients reach a server listening on ``host``:``port`` at: the wildcard addresses
    become this machine's loopback, which is where links from a development server should go."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "localhost"
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}"


def settings_error(exc: ValidationError) -> StartupError:
    """A ``pydantic.ValidationError`` from reading the settings, as the first bad variable."""
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first.get("loc") else "settings"
    message = first["msg"].removeprefix("Value error, ")
    return StartupError(
        f"PITCHLAB_{field.upper()}", message,
        "fix it in the environment or .env (.env.example lists every setting with its default)",
    )
