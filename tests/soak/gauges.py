"""What the soak watches on the server under load: its memory, sockets and files (psutil, the
process and its children), the database's connections (pg_stat_activity) and the latency of
``/healthz`` from a probe that never stops asking."""

from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx
import psutil
import psycopg

MIB = 2**20


class HealthzProbe:
    """GET /healthz every ``every`` seconds over one kept-alive connection, in a thread of its
    own: the test's event loop, busy with twenty clients, must not add its own delays to the
    latencies. ``take()`` hands over what was measured since the last call (one window)."""

    def __init__(self, base_url: str, every: float = 0.05) -> None:
        self.url, self.every = f"{base_url}/healthz", every
        self._lock = threading.Lock()
        self._latencies: list[float] = []
        self._failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthz-probe", daemon=True)

    def __enter__(self) -> HealthzProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def take(self) -> tuple[list[float], list[str]]:
        with self._lock:
            taken = self._latencies, self._failures
            self._latencies, self._failures = [], []
        return taken

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.is_set():
                self._probe(client)
                self._stop.wait(self.every)  # the pace of the probe, not a wait for an outcome

    def _probe(self, client: httpx.Client) -> None:
        began = time.perf_counter()
        try:
            status = client.get(self.url).status_code
            failure = None if status == 200 else f"status {status}"
        except httpx.HTTPError as error:
            failure = f"{type(error).__name__}: {error}"
        seconds = time.perf_counter() - began
        with self._lock:
            if failure is None:
                self._latencies.append(seconds)
            else:
                self._failures.append(failure)


@dataclass
class Sample:
    """The server at the end of one window of the run."""

    at: float  # seconds since the load began
    rss: int  # bytes, the process and its children
    fds: int
    tcp: int  # open TCP sockets: listening, clients', the database's
    db: int  # connections to the soak's database, other than the sampler's own
    healthz: list[float] = field(repr=False)  # latencies in seconds over the window
    failed_probes: list[str]
    calls: int  # calls ended so far
    cpu: float = 0.0  # the server's CPU seconds so far (user + system, with its children)
    # the machine's 1-minute load average: on a shared machine, the windows whose latency the
    # other tenants' work may have taken (above the number of cores)
    load: float = field(default_factory=lambda: os.getloadavg()[0])

    def healthz_ms(self, q: int) -> float:
        """The q-th percentile of the window's /healthz latencies, in milliseconds."""
        if len(self.healthz) < 2:
            return float("nan") if not self.healthz else self.healthz[0] * 1000
        return statistics.quantiles(self.healthz, n=100, method="inclusive")[q - 1] * 1000


def process_tree(pid: int) -> list[psutil.Process]:
    server = psutil.Process(pid)
    return [server, *server.children(recursive=True)]


def resources(pid: int) -> tuple[int, int, int, float]:
    """(RSS bytes, open fds, open TCP sockets, CPU seconds) of the process and its children (a
    server run with ``--workers N`` forks; the default runs in one process)."""
    rss = fds = tcp = 0
    cpu = 0.0
    for process in process_tree(pid):
        with process.oneshot():
            rss += process.memory_info().rss
            fds += process.num_fds()
            tcp += len(process.net_connections(kind="tcp"))
            times = process.cpu_times()
            cpu += times.user + times.system
    return rss, fds, tcp, cpu


async def database_connections(conn: psycopg.AsyncConnection) -> int:
    row = await (await conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()")).fetchone()
    assert row is not None
    return int(row[0])


def table(samples: list[Sample], warm_up: float) -> str:
    """The run, one line per window, ready for the closing note."""
    lines = ["    time   RSS MiB   fds   tcp   db conns   healthz p50 ms   p99 ms   probes"
             "   failed   calls   server CPU   load avg"]
    previous = Sample(at=0.0, rss=0, fds=0, tcp=0, db=0, healthz=[], failed_probes=[], calls=0,
                      cpu=samples[0].cpu if samples else 0.0)
    for s in samples:
        mark = "  (warm-up)" if s.at <= warm_up else ""
        cpu_share = (s.cpu - previous.cpu) / (s.at - previous.at) if s.at > previous.at else 0
        lines.append(
            f"{s.at:7.0f}s {s.rss / MIB:9.1f} {s.fds:5d} {s.tcp:5d} {s.db:10d}"
            f" {s.healthz_ms(50):16.1f} {s.healthz_ms(99):8.1f} {len(s.healthz):8d}"
            f" {len(s.failed_probes):8d} {s.calls:7d} {cpu_share:11.0%} {s.load:10.1f}{mark}")
        previous = s
    return "\n".join(lines)
