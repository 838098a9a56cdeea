"""``pitchlab serve --workers N``: N server processes on one listening socket, under a supervisor.

One Python process runs on one core; to use the machine's others, ``serve`` binds the socket and
migrates the database once, then forks N children that each build the app and serve that very
socket (the kernel hands each new connection to one of them). The parent only supervises:

- SIGTERM or SIGINT to the parent is passed on as one SIGTERM to every child, each of which
  drains as a single server does (pitchlab.shutdown: new calls refused, live calls ended and
  billed), and the parent exits once they all have. The children run in their own process
  group, so a Ctrl-C at the terminal reaches the parent alone and is not delivered twice.
- A child that dies while the server is not stopping (a crash, the OOM killer) is started
  again. One that keeps dying young (``MAX_FAILED_STARTS`` in a row, each within
  ``FAILED_START_SECONDS`` of its start, however slowly) stops the server with exit code 1
  rather than crash-loop.
- A child whose supervisor dies (SIGKILL) is sent SIGTERM by the kernel (Linux's
  PR_SET_PDEATHSIG) and drains: no server process outlives its supervisor.

Forking (not spawning) keeps the start cheap: the children share the parent's imported modules.
The parent forks before any event loop, thread or database connection of its own exists, so
nothing is copied half-used. Each child has its own pool, in-memory limiter and /metrics: for
limits shared across processes, set PITCHLAB_REDIS_URL (as for several hosts).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

MAX_FAILED_STARTS = 5
FAILED_START_SECONDS = 60.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_the_supervisor() -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux; elsewhere nothing happens)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _run_child(serve_one: Callable[[], None]) -> None:
    """The child's whole life: serve, then leave without running the parent's exit hooks (the
    parent, not a child, stops an embedded PostgreSQL it started)."""
    code = 0
    try:
        os.setpgid(0, 0)
        _die_with_the_supervisor()
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
        self.children: dict[int, float] = {}  # pid -> when it was started
        self.stopping = False
        self.failed_starts = 0

    def fork(self) -> None:
        pid = os.fork()
        if pid == 0:
            _run_child(self.serve_one)
        self.children[pid] = time.monotonic()

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
            started = self.children.pop(pid, time.monotonic())
            if self.stopping:
                continue
            failed = not self._restart(pid, os.waitstatus_to_exitcode(status), started)
            if failed:
                self.stop(signal.SIGTERM)
        return 1 if failed else 0

    def _restart(self, pid: int, code: int, started: float) -> bool:
        """Start a new child for one that died on its own; False when they keep dying young."""
        lived = time.monotonic() - started
        self.failed_starts = self.failed_starts + 1 if lived < FAILED_START_SECONDS else 0
        if self.failed_starts >= MAX_FAILED_STARTS:
            log.error("server process %d exited (%d) after %.0f s; %d in a row died within"
                      " %.0f s of starting: stopping", pid, code, lived, self.failed_starts,
                      FAILED_START_SECONDS)
            return False
        log.warning("server process %d exited (%d) after %.0f s; starting another",
                    pid, code, lived)
        self.fork()
        return True


def serve_in_processes(workers: int, serve_one: Callable[[], None]) -> int:
    """Run ``serve_one`` in ``workers`` forked children until stopped; the exit code."""
    return Supervisor(workers, serve_one).run()
