"""Streams benchmark: memory per idle open voice stream, and the relay at N = 1, 50, 100, 200
concurrent streams with 20 ms frames (640 bytes) and with the 100 ms frames browsers send (3,200
bytes of pcm_16000), direct beside relayed; capacity in streams per core.

`pitchlab serve` relays to the bare echo provider (benchmarks/fake_voice_provider.py), exactly as
benchmarks/relay.py sets it up and with its functions (open_direct, open_relayed, drive).

1. Idle memory: RSS of the relay (and of the fake, one websockets hop's floor) before and after
   opening --idle-streams relayed streams that then send nothing, divided by their number. A few
   streams are opened and closed first, so that lazy imports and first-use caches are not
   counted as per-stream memory.
2. Sweep: streams are opened one after another (a call's setup is not what is measured here) and
   kept open while N grows, relayed and direct alike; at each N and frame size, --rounds pairs of
   a direct and a relayed phase alternate on the same open streams, each phase sending --seconds
   of audio per stream at real-time pace, the streams' clocks spread over the frame period.
   Printed: round trip p50/p99 direct and relayed, what the relay adds, relay CPU us per frame
   (and per stream-second), the fake's, and the cores the relay used.
3. Capacity, two ways: (a) measured: the largest N of the sweep whose p99 added latency stays
   under --target-ms, divided by the cores the relay used there (relay CPU seconds over the
   phase's wall time), a lower bound when even the largest N meets the target; (b) from CPU:
   one core's microseconds per second divided by the relay's microseconds per stream-second at
   the largest N (the cost of the work, ignoring queueing), the ceiling a core saturates at.

The relay serves with PITCHLAB_DATABASE_POOL_SIZE=20 (see main). Everything (load generator,
fake, relay, PostgreSQL) shares this machine.

    uv run python benchmarks/streams.py [--streams 1,50,100,200] [--seconds 3] [--rounds 2]

PostgreSQL: PITCHLAB_BENCH_DATABASE_URL (a server's maintenance database) or an embedded one.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field

import httpx
import uvloop
from harness import (
    cpu_seconds,
    machine,
    pct,
    rss_bytes,
    scratch_database,
    seed_company,
    start_fake_voice_provider,
    start_serve,
)
from relay import drive, open_direct, open_relayed
from websockets.exceptions import ConnectionClosed

BYTES_PER_SECOND = 32_000  # pcm_16000: 16 kHz, 16-bit mono
FRAME_PERIODS = (0.02, 0.1)  # the 20 ms frames of relay.py, the 100 ms frames browsers send
WARM_UP_STREAMS = 5
POOL_SIZE = 20


@dataclass
class Servers:
    http: httpx.AsyncClient
    base: str
    fake_port: int
    relay_pid: int
    fake_pid: int
    tokens: list[str]
    relayed: list = field(default_factory=list)  # (websocket, session id)
    direct: list = field(default_factory=list)

    async def open_relayed_up_to(self, n: int) -> None:
        while len(self.relayed) < n:
            self.relayed.append(await open_relayed(self.http, self.base,
                                                   self.tokens[len(self.relayed)]))

    async def open_direct_up_to(self, n: int) -> None:
        while len(self.direct) < n:
            self.direct.append(await open_direct(self.fake_port))

    async def close_all(self) -> None:
        for ws in self.direct:
            await ws.close()
        for index, (ws, session_id) in enumerate(self.relayed):
            await ws.close()
            await self.http.post(f"{self.base}/api/sessions/{session_id}/end",
                                 headers={"Authorization": f"Bearer {self.tokens[index]}"})


@dataclass
class Phase:
    rtts: list[float]
    cpu_seconds: float
    wall_seconds: float


async def run_phase(streams: list, frames: int, pid: int, period: float) -> Phase:
    """relay.py's phase with a frame period: every stream sends ``frames`` frames of ``period``
    of audio at once, their clocks spread over the period."""
    rtts: list[float] = []
    frame_bytes = int(BYTES_PER_SECOND * period)
    offsets = [period * i / len(streams) for i in range(len(streams))]
    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(drive(ws, i, frames, rtts, offsets[i], frame_bytes, period)
                           for i, ws in enumerate(streams)))
    return Phase(rtts, cpu_seconds(pid) - cpu_before, time.perf_counter() - started)


async def idle_memory(servers: Servers, n: int) -> None:
    """RSS before and after opening ``n`` relayed streams that send nothing (kept open: they are
    the first streams of the sweep)."""
    warm = [await open_relayed(servers.http, servers.base, servers.tokens[i])
            for i in range(WARM_UP_STREAMS)]
    for index, (ws, session_id) in enumerate(warm):
        await ws.close()
        await servers.http.post(f"{servers.base}/api/sessions/{session_id}/end",
                                headers={"Authorization": f"Bearer {servers.tokens[index]}"})
    relay_before, fake_before = rss_bytes(servers.relay_pid), rss_bytes(servers.fake_pid)
    await servers.open_relayed_up_to(n)
    relay_after, fake_after = rss_bytes(servers.relay_pid), rss_bytes(servers.fake_pid)
    print(f"idle streams: {n} relayed voice streams open, sending nothing")
    for name, before, after in (("relay (pitchlab serve)", relay_before, relay_after),
                                ("fake provider", fake_before, fake_after)):
        print(f"  {name:<23} RSS {before / 2**20:7.1f} MiB -> {after / 2**20:7.1f} MiB: "
              f"{(after - before) / n / 1024:6.1f} KiB per stream")
    print()


@dataclass
class Row:
    n: int
    direct: list[float]
    relayed: list[float]
    relay_cpu: float
    fake_cpu: float
    relay_wall: float

    @property
    def added_p99_ms(self) -> float:
        return pct(self.relayed, 99) - pct(self.direct, 99)

    @property
    def relay_cores(self) -> float:
        return self.relay_cpu / self.relay_wall


async def measure(servers: Servers, n: int, period: float, seconds: float, rounds: int) -> Row:
    frames = max(1, round(seconds / period))
    row = Row(n, [], [], 0.0, 0.0, 0.0)
    for _ in range(rounds):
        direct = await run_phase(servers.direct[:n], frames, servers.fake_pid, period)
        relayed = await run_phase([ws for ws, _ in servers.relayed[:n]], frames,
                                  servers.relay_pid, period)
        row.direct += direct.rtts
        row.relayed += relayed.rtts
        row.fake_cpu += direct.cpu_seconds
        row.relay_cpu += relayed.cpu_seconds
        row.relay_wall += relayed.wall_seconds
    return row


def print_row(row: Row, period: float) -> None:
    frames = len(row.relayed)
    relay_us, fake_us = row.relay_cpu / frames * 1e6, row.fake_cpu / len(row.direct) * 1e6
    d50, d99 = pct(row.direct, 50), pct(row.direct, 99)
    r50, r99 = pct(row.relayed, 50), pct(row.relayed, 99)
    print(f"{row.n:>4} | {d50:>7.2f} / {d99:>6.2f} | {r50:>6.2f} / {r99:>6.2f} | "
          f"{r50 - d50:>6.2f} / {r99 - d99:>6.2f} | {relay_us:>8.1f} | "
          f"{relay_us / period:>10.0f} | {fake_us:>7.1f} | {row.relay_cores:>5.2f}")


def print_capacity(rows: list[Row], period: float, target_ms: float) -> None:
    meeting = [row for row in rows if row.added_p99_ms <= target_ms]
    if meeting:
        best = max(meeting, key=lambda row: row.n)
        bound = " (a lower bound: the largest N measured)" if best is rows[-1] else ""
        per_core = (f"{best.n / best.relay_cores:.0f}" if best.relay_cores > 0
                    else "? (a phase too short for the CPU clock)")
        print(f"  capacity (a) measured: N = {best.n} keeps p99 added <= {target_ms:g} ms on "
              f"{best.relay_cores:.2f} cores -> {per_core} streams per core{bound}")
    else:
        print(f"  capacity (a) measured: no N of the sweep keeps p99 added <= {target_ms:g} ms")
    largest = rows[-1]
    us_per_stream_second = largest.relay_cpu / len(largest.relayed) * 1e6 / period
    if us_per_stream_second <= 0:
        print("  capacity (b): the phases were too short for the CPU clock (10 ms)")
        return
    print(f"  capacity (b) from CPU at N = {largest.n}: 1e6 us / {us_per_stream_second:.0f} us "
          f"per stream-second = {1e6 / us_per_stream_second:.0f} streams per core (saturated)")


async def sweep(servers: Servers, args) -> None:
    for period in FRAME_PERIODS:
        frame_bytes = int(BYTES_PER_SECOND * period)
        print(f"{period * 1000:.0f} ms frames ({frame_bytes} bytes), {args.rounds} rounds x "
              f"{args.seconds:g} s per stream; direct and relayed phases alternate")
        print(f"{'N':>4} | {'direct p50/p99 ms':>17} | {'relay p50/p99 ms':>16} | "
              f"{'added p50/p99 ms':>16} | {'relay us':>8} | {'us/stream-s':>10} | "
              f"{'fake us':>7} | cores")
        rows = []
        for n in args.streams:
            await servers.open_relayed_up_to(n)
            await servers.open_direct_up_to(n)
            try:
                rows.append(await measure(servers, n, period, args.seconds, args.rounds))
            except (ConnectionClosed, TimeoutError) as error:
                # A stream the relay closed (1013: its database pool starved) or echoes that
                # never came: this N is past what the relay holds here; larger ones would be too.
                # The failed streams cannot be reused, so the sweep ends here (the next frame
                # size too): the capacity comes from the N measured before.
                print(f"{n:>4} | failed: {error!r}; the sweep stops here")
                if rows:
                    print_capacity(rows, period, args.target_ms)
                return
            print_row(rows[-1], period)
        print("  (us: CPU microseconds per frame; cores: relay CPU seconds / phase wall seconds)")
        print_capacity(rows, period, args.target_ms)
        print()


async def run(args, base: str, fake_port: int, relay_pid: int, fake_pid: int,
              tokens: list[str]) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        servers = Servers(http, base, fake_port, relay_pid, fake_pid, tokens)
        try:
            await idle_memory(servers, min(args.idle_streams, len(tokens)))
            await sweep(servers, args)
        finally:
            await servers.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=lambda s: sorted(int(x) for x in s.split(",")),
                        default=[1, 50, 100, 200])
    parser.add_argument("--seconds", type=float, default=3.0, help="audio per stream and phase")
    parser.add_argument("--rounds", type=int, default=2, help="direct/relayed phase pairs per N")
    parser.add_argument("--idle-streams", type=int, default=100)
    parser.add_argument("--target-ms", type=float, default=5.0, help="p99 added latency bound")
    args = parser.parse_args()
    print(machine())

    with scratch_database() as (owner_url, workdir):
        fake, fake_port, upstream = start_fake_voice_provider()
        relay, relay_url = start_serve(
            owner_url, workdir, **upstream,
            # Every open stream heartbeats every 20 s and charges each minute as it begins, so
            # 200 streams opened together meet the pool together: 20 (+20 overflow) instead of
            # 10 (+10), which a loaded machine's 200 streams exhausted (closed with 1013).
            PITCHLAB_DATABASE_POOL_SIZE=str(POOL_SIZE))
        try:
            users = max(*args.streams, args.idle_streams, WARM_UP_STREAMS)
            tokens = [token for _, _, token in seed_company(owner_url, users)]
            # uvloop, like the relay and the fake: the load generator must not be the slowest hop
            uvloop.run(run(args, relay_url, fake_port, relay.pid, fake.pid, tokens))
        finally:
            relay.stop()
            fake.stop()


if __name__ == "__main__":
    main()
