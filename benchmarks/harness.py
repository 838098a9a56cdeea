"""What every benchmark here needs: a scratch database, `pitchlab serve` and other processes
started and awaited until they answer, CPU time of a process, percentiles, seeded users.

PostgreSQL: PITCHLAB_BENCH_DATABASE_URL (a server's *maintenance* database: a scratch database is
created beside it and dropped afterwards) or an embedded one in a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import psycopg
from psycopg import sql
from sqlalchemy import URL

from pitchlab.database_setup import libpq_dsn, start_embedded_server
from pitchlab.db import normalize_url
from pitchlab.security.tokens import issue_access_token

ROOT = Path(__file__).resolve().parents[1]
JWT_SECRET = "benchmark-jwt-secret-that-is-long-enough-0001"
APP_PASSWORD = "benchmark-app-password"
READY_TIMEOUT_SECONDS = 120


def machine() -> str:
    """One line naming the machine, printed at the top of every benchmark's output."""
    return (f"machine: {platform.machine()}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
            f"{platform.platform()}, load average {os.getloadavg()[0]:.2f}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (a `serve --workers N` supervisor's)."""
    process = psutil.Process(pid)
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = each.cpu_times()
            total += times.user + times.system
    return total


def rss_bytes(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


def pct(values: list[float], q: int) -> float:
    """The q-th percentile of ``values`` (seconds) in milliseconds."""
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def drain_output(process: subprocess.Popen, sink: list[str]) -> None:
    """Read a child's output on a thread so that a full pipe never blocks it; keep it for errors."""
    def read() -> None:
        for line in process.stdout or ():
            sink.append(line)
            del sink[:-200]
    threading.Thread(target=read, daemon=True).start()


@dataclass
class Started:
    process: subprocess.Popen
    output: list[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_process(args: list[str], env: dict[str, str], *, ready_url: str | None = None,
                  ready_line: str | None = None) -> Started:
    """Start a process and return once it answers ``ready_url`` with a 2xx (or prints
    ``ready_line``). Log lines change with the log format; a URL answering does not."""
    process = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output: list[str] = []
    if ready_line is not None:
        for line in process.stdout or ():
            output.append(line)
            if ready_line in line:
                break
        else:
            raise SystemExit(f"{args} exited before it was ready:\n{''.join(output[-40:])}")
    drain_output(process, output)
    started = Started(process, output)
    if ready_url is not None:
        wait_until_answers(started, ready_url)
    return started


def wait_until_answers(started: Started, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if started.process.poll() is not None:
            raise SystemExit(f"exited ({started.process.returncode}) before it was ready:\n"
                             + "".join(started.output[-40:]))
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).is_success:
                return
        time.sleep(0.1)  # a start-up poll, outside anything measured
    started.stop()
    raise SystemExit(f"not ready after {READY_TIMEOUT_SECONDS} s:\n"
                     + "".join(started.output[-40:]))


@contextlib.contextmanager
def scratch_database() -> Iterator[tuple[URL, Path]]:
    """A new, empty database (owner URL) and a temporary work folder; both gone afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="pitchlab-bench-"))
    configured = os.environ.get("PITCHLAB_BENCH_DATABASE_URL")
    server = (normalize_url(configured) if configured
              else start_embedded_server(workdir).set(database="postgres"))
    name = f"pitchlab_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq_dsn(server), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name), workdir
    finally:
        with psycopg.connect(libpq_dsn(server), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def serve_env(owner_url: URL, workdir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a benchmarked `pitchlab serve`: this scratch database, a known JWT
    secret (so that tokens can be minted without logging in), no in-process worker."""
    return {
        "PITCHLAB_DATABASE_URL": owner_url.render_as_string(hide_password=False),
        "PITCHLAB_DATABASE_APP_PASSWORD": APP_PASSWORD, "PITCHLAB_JWT_SECRET": JWT_SECRET,
        "PITCHLAB_DATA_DIR": str(workdir / "data"), "PITCHLAB_RUN_WORKER_IN_PROCESS": "false",
        "PITCHLAB_PUBLIC_URL": f"http://127.0.0.1:{port}", "PITCHLAB_LOG_LEVEL": "WARNING",
        **extra,
    }


def start_serve(owner_url: URL, workdir: Path, *, extra_args: tuple[str, ...] = (),
                **env: str) -> tuple[Started, str]:
    """`pitchlab serve` on a free port, awaited until /readyz answers; returns it and its URL."""
    port = free_port()
    started = start_process(
        [sys.executable, "-m", "pitchlab.cli", "serve", "--port", str(port), *extra_args],
        serve_env(owner_url, workdir, port, **env), ready_url=f"http://127.0.0.1:{port}/readyz")
    return started, f"http://127.0.0.1:{port}"


def start_fake_voice_provider() -> tuple[Started, int, dict[str, str]]:
    """benchmarks/fake_voice_provider.py on a free port: the process, its port, and the settings
    that point a `pitchlab serve` at it (the relay benchmarks' upstream)."""
    port = free_port()
    fake = start_process([sys.executable, "benchmarks/fake_voice_provider.py", str(port)], {},
                         ready_line="ready")
    return fake, port, {"PITCHLAB_ELEVENLABS_API_KEY": "bench-key",
                  "PITCHLAB_ELEVENLABS_AGENT_ID": "bench-agent",
                  "PITCHLAB_ELEVENLABS_BASE_URL": f"http://127.0.0.1:{port}"}


def seed_company(owner_url: URL, users: int, *, role: str = "user",
                 password_hash: str = "x") -> list[tuple[uuid.UUID, str, str]]:
    """One company with room for every call, and ``users`` verified members with voice consent.
    Returns (user id, email, access token) per member."""
    company = uuid.uuid4()
    members = []
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("INSERT INTO companies (id, name, trial_expires_at) VALUES (%s, 'Bench',"
                     " now() + interval '1 day')", (company,))
        conn.execute("INSERT INTO minute_quotas (company_id, total_minutes) VALUES (%s, 1000000)",
                     (company,))
        for index in range(users):
            user = uuid.uuid4()
            email = f"bench{index}-{user.hex[:6]}@example.com"
            conn.execute("INSERT INTO users (id, company_id, email, hashed_password, role,"
                         " email_verified_at) VALUES (%s, %s, %s, %s, %s, now())",
                         (user, company, email, password_hash, role))
            conn.execute("INSERT INTO consents (user_id, company_id, kind, granted, version)"
                         " VALUES (%s, %s, 'voice_recording', true, 'bench')", (user, company))
            token = issue_access_token(JWT_SECRET, user_id=user, company_id=company, role=role,
                                       lifetime_seconds=3600)
            members.append((user, email, token))
    return members
