"""Login storm: does password hashing ever block the event loop? p99 of /healthz while 20 logins
hash passwords (target <= 50 ms).

A probe thread asks `GET /healthz` one request after another (a pause of --probe-ms between them,
one keep-alive connection), first alone (the baseline), then while rounds of --logins concurrent
`POST /api/auth/login` run, each with a correct password against a real bcrypt hash made by the
project's own hasher at the server's cost. Probe samples are split by whether a storm round was
running when they were sent. Printed: /healthz p50/p99/max baseline beside storm, logins/s,
login p50/p99, and the hashing parameters.

Only failed passwords count towards the login throttle (security/ratelimit.py) and every login
here is correct, so no rate-limit setting needs raising.

    uv run python benchmarks/login_storm.py [--rounds 5] [--logins 20] [--baseline-seconds 3]

PostgreSQL: PITCHLAB_BENCH_DATABASE_URL (a server's maintenance database) or an embedded one.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from dataclasses import dataclass, field

import httpx
from harness import cpu_seconds, machine, pct, scratch_database, seed_company, start_serve

from pitchlab.security.passwords import PRODUCTION_MIN_ROUNDS, hash_password

PASSWORD = "correct horse battery staple"


@dataclass
class Probe:
    """Times /healthz back to back on its own thread and connection, so that the load generator's
    event loop never delays a probe: what it sees is the server's loop."""

    url: str
    pause_seconds: float
    samples: list[tuple[float, float]] = field(default_factory=list)  # (sent at, latency)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                sent = time.perf_counter()
                client.get(self.url).raise_for_status()
                self.samples.append((sent, time.perf_counter() - sent))
                # the probe's own pacing; Event.wait returns at once when stopped
                self._stop.wait(self.pause_seconds)


async def login(http: httpx.AsyncClient, base: str, email: str) -> float:
    started = time.perf_counter()
    answer = await http.post(f"{base}/api/auth/login", json={"email": email, "password": PASSWORD})
    answer.raise_for_status()
    return time.perf_counter() - started


async def storm(base: str, emails: list[str], rounds: int) -> tuple[list[tuple[float, float]],
                                                                    list[float]]:
    """Rounds of concurrent logins, one per email; returns the rounds' (start, end) windows and
    every login's latency."""
    windows, latencies = [], []
    async with httpx.AsyncClient(timeout=60) as http:
        await login(http, base, emails[0])  # warm the path (first query plans, imports)
    for _ in range(rounds):
        # Fresh connections each round, as users signing in bring: a round outlasts uvicorn's
        # 5 s keep-alive, and reusing a connection the server is closing fails at random.
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=len(emails))
                                     ) as http:
            start = time.perf_counter()
            latencies += await asyncio.gather(*(login(http, base, email) for email in emails))
            windows.append((start, time.perf_counter()))
    return windows, latencies


def within(at: float, windows: list[tuple[float, float]]) -> bool:
    return any(start <= at <= end for start, end in windows)


def row(name: str, latencies: list[float]) -> str:
    return (f"{name:<26} {len(latencies):>7} {pct(latencies, 50):>8.2f} {pct(latencies, 99):>8.2f}"
            f" {max(latencies) * 1000:>8.2f}")


def report(args, probe: Probe, baseline_end: float, windows, logins: list[float],
           server_cpu: float) -> None:
    baseline = [lat for at, lat in probe.samples if at < baseline_end]
    during = [lat for at, lat in probe.samples if within(at, windows)]
    storm_seconds = sum(end - start for start, end in windows)
    print(f"\n{'/healthz':<26} {'samples':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    print(row("baseline (no logins)", baseline))
    print(row(f"storm ({args.logins} logins at once)", during))
    print(f"\np99 during the storm: {pct(during, 99):.2f} ms (target <= 50 ms; baseline "
          f"{pct(baseline, 99):.2f} ms)")
    print(f"logins: {len(logins)} in {storm_seconds:.2f} s = {len(logins) / storm_seconds:.1f}/s;"
          f" latency p50 {pct(logins, 50):.0f} ms, p99 {pct(logins, 99):.0f} ms, "
          f"max {max(logins) * 1000:.0f} ms")
    print(f"server CPU per login: {server_cpu / len(logins) * 1000:.1f} ms (hashing included, and "
          "the probe's /healthz over the storm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="storms of concurrent logins")
    parser.add_argument("--logins", type=int, default=20, help="concurrent logins per storm")
    parser.add_argument("--baseline-seconds", type=float, default=3.0)
    parser.add_argument("--probe-ms", type=float, default=5.0, help="pause between probes")
    parser.add_argument("--bcrypt-rounds", type=int, default=PRODUCTION_MIN_ROUNDS,
                        help="the server's cost (PITCHLAB_BCRYPT_ROUNDS); the default is "
                             "production's")
    args = parser.parse_args()
    print(machine())
    started = time.perf_counter()
    password_hash = hash_password(PASSWORD, args.bcrypt_rounds)
    print(f"hashing: bcrypt, cost {args.bcrypt_rounds} (2^{args.bcrypt_rounds} rounds; one hash "
          f"here took {(time.perf_counter() - started) * 1000:.0f} ms), "
          f"{args.logins} concurrent logins x {args.rounds} rounds, probe pause {args.probe_ms} ms")

    with scratch_database() as (owner_url, workdir):
        serve, base = start_serve(owner_url, workdir,
                                  PITCHLAB_BCRYPT_ROUNDS=str(args.bcrypt_rounds))
        probe = Probe(f"{base}/healthz", args.probe_ms / 1000)
        try:
            emails = [email for _, email, _ in
                      seed_company(owner_url, args.logins, password_hash=password_hash)]
            probe.start()
            time.sleep(args.baseline_seconds)  # the probe measures the quiet server meanwhile
            baseline_end = time.perf_counter()
            cpu_before = cpu_seconds(serve.pid)
            windows, logins = asyncio.run(storm(base, emails, args.rounds))
            server_cpu = cpu_seconds(serve.pid) - cpu_before
        finally:
            probe.stop()
            serve.stop()
    report(args, probe, baseline_end, windows, logins, server_cpu)


if __name__ == "__main__":
    main()
