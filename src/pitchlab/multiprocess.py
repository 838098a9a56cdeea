"""``pitchlab serve --workers N``: N server processes on one listening socket, under a supervisor.

One Python process runs on one core; to use the machine's others, ``serve`` binds the socket and
migrates the database once, then forks N children that each build the app and serve that very
socket (the kernel hands each new connection to one of them). The parent only supervises:

- SIGTERM or SIGINT to the parent is passed on as one SIGTERM to every child, each of which
  drains as a single server does (pitchlab.shutdown: new calls refused, live calls ended and
  billed), and the parent exits once they all have. The children run in their own process
  group, so a Ctrl-C at the terminal reaches the parent alone and is not delivered twice.
- A child that dies while the server is not stopping (a crash, the OOM killer) is started
  again; one that keeps dying (``MAX_RESTARTS`` within ``RESTART_WINDOW_SECONDS``) stops the
  server with exit code 1 rather than crash-loop.

Forking (not spawning) keeps the start cheap: the children share the parent's imported modules.
The parent forks before any event loop, thread or database connection of its own exists, so
nothing is copied half-used. Each child has its own pool, in-memory limiter and /metrics: for
limits shared across processes, set PITCHLAB_REDIS_URL (as for several hosts).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60.0


def _run_child(serve_one: Callable[[], None]) -> None:
    """The child's whole life: serve, then leave without running the parent's exit hooks (the
    parent, not a child, stops an embedded PostgreSQL it started)."""
    code = 0
    try:
        os.setpgid(0, 0)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        # uvicorn re-raises the SIGTERM it caught once it has drained: exit cleanly then
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve_one()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0
    except BaseException:  # a crash: said once here, then the supervisor decides
        log.exception("server process %d failed", os.getpid())
        code = 1
    finally:
        logging.shutdown()
        os._exit(code)


class Supervisor:
    def __init__(self, workers: int, serve_one: Callable[[], None]) -> None:
        self.workers = workers
        self.serve_one = serve_one
        self.children: set[int] = set()
        self.stopping = False
        self.restarts: list[float] = []

    def fork(self) -> None:
        pid = os.fork()
        if pid == 0:
            _run_child(self.serve_one)
        self.children.add(pid)

    def stop(self, signum: int, _frame: FrameType | None = None) -> None:
        if self.stopping:
            return
        self.stopping = True
        log.info("signal %d: stopping %d server process(es)", signum, len(self.children))
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(pid, signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for _ in range(self.workers):
            self.fork()
        failed = False
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            self.children.discard(pid)
            if self.stopping:
                continue
            failed = not self._restart(pid, os.waitstatus_to_exitcode(status))
            if failed:
                self.stop(signal.SIGTERM)
        return 1 if failed else 0

    def _restart(self, pid: int, code: int) -> bool:
        """Start a new child for one that died on its own; False when it keeps dying."""
        now = time.monotonic()
        self.restarts = [at for at in self.restarts if now - at < RESTART_WINDOW_SECONDS]
        if len(self.restarts) >= MAX_RESTARTS:
            log.error("server process %d exited (%d); %d restarts in %.0f s: stopping",
                      pid, code, len(self.restarts), RESTART_WINDOW_SECONDS)
            return False
        self.restarts.append(now)
        log.warning("server process %d exited (%d); starting another", pid, code)
        self.fork()
        return True


def serve_in_processes(workers: int, serve_one: Callable[[], None]) -> int:
    """Run ``serve_one`` in ``workers`` forked children until stopped; the exit code."""
    return Supervisor(workers, serve_one).run()
