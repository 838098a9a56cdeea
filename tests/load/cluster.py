"""Pitchlab scaled out, as a deployment runs it: ``pitchlab serve`` twice (no in-process worker)
and one ``pitchlab worker``, each its own process, on one PostgreSQL database and one Redis.

The processes share every setting (JWT secret, key ring, Redis, Stripe), as replicas behind a
load balancer do; each API listens on its own free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL

from tests.cli.helpers import clean_env, free_port
from tests.conftest import TEST_APP_PASSWORD, TEST_BCRYPT_ROUNDS, TEST_ENCRYPTION_KEYS

STARTUP_SECONDS = 60


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)

    def follow(self) -> None:
        """Keep reading stderr (a chatty process would block on a full pipe)."""
        threading.Thread(target=lambda: self.log.extend(self.popen.stderr or ()),
                         daemon=True).start()

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as when a machine dies."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def tracebacks(self) -> str:
        text = "".join(self.log)
        return text if "Traceback" in text else ""


@dataclass
class Api:
    process: Process
    base_url: str


def cluster_env(owner_url: URL, data_dir: Path, redis_url: str, **settings: str) -> dict[str, str]:
    return clean_env(
        PITCHLAB_DATABASE_URL=owner_url.render_as_string(hide_password=False),
        PITCHLAB_DATABASE_APP_PASSWORD=TEST_APP_PASSWORD,
        PITCHLAB_DATA_DIR=str(data_dir),
        PITCHLAB_JWT_SECRET="scale-out-jwt-secret-that-is-long-enough-for-hs256",
        PITCHLAB_ENCRYPTION_KEYS=TEST_ENCRYPTION_KEYS,
        PITCHLAB_BCRYPT_ROUNDS=str(TEST_BCRYPT_ROUNDS),
        PITCHLAB_REDIS_URL=redis_url,
        PITCHLAB_RUN_WORKER_IN_PROCESS="false",
        **settings,
    )


def _popen(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pitchlab.cli", *args], env=env, cwd=cwd,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def _wait_for(process: Process, phrase: str) -> None:
    """Read the log until ``phrase`` (the process is ready), then follow it in the background."""
    assert process.popen.stderr is not None
    timer = threading.Timer(STARTUP_SECONDS, process.popen.kill)  # a hung start fails the test
    timer.start()
    try:
        for line in process.popen.stderr:
            process.log.append(line)
            if phrase in line:
                process.follow()
                return
    finally:
        timer.cancel()
    raise AssertionError(f"{process.name} exited before it was ready:\n" + "".join(process.log))


def start_api(name: str, env: dict[str, str], cwd: Path) -> Api:
    port = free_port()
    process = Process(name, _popen(["serve", "--port", str(port)], env, cwd))
    _wait_for(process, "Application startup complete")
    return Api(process, f"http://127.0.0.1:{port}")


def start_worker(env: dict[str, str], cwd: Path) -> Process:
    process = Process("worker", _popen(["worker", "--concurrency", "4"], env, cwd))
    _wait_for(process, "worker started")
    return process


@contextlib.asynccontextmanager
async def running_cluster(
    env: dict[str, str], cwd: Path
) -> AsyncIterator[tuple[Api, Api, Process]]:
    """Two APIs and a worker, started at once as replicas are (each runs the migrations and
    sets the app role's password first); every process stopped afterwards. They start off the
    event loop: a fake server in it must keep answering."""
    starting = [asyncio.to_thread(start_api, "api-a", env, cwd),
                asyncio.to_thread(start_api, "api-b", env, cwd),
                asyncio.to_thread(start_worker, env, cwd)]
    results = await asyncio.gather(*starting, return_exceptions=True)
    processes = [r.process if isinstance(r, Api) else r for r in results
                 if isinstance(r, Api | Process)]
    try:
        for result in results:
            if isinstance(result, BaseException):
                raise result
        a, b, worker = results
        assert isinstance(a, Api) and isinstance(b, Api) and isinstance(worker, Process)
        yield a, b, worker
    finally:
        await asyncio.gather(*(asyncio.to_thread(process.stop) for process in processes))


async def eventually(check, *, within: float, every: float = 0.1, what: str = "condition"):
    """Poll the coroutine function ``check`` until it returns a truthy value (returned), failing
    after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {within} s (last: {value!r})")
        await asyncio.sleep(every)




