"""Relay benchmark: 20 ms pcm_16000 frames on N concurrent streams, through Pitchlab's relay to a
local fake provider, and the same frames straight to that fake, in one run.

Prints for N = 1, 10, 25, 50: round-trip p50/p99 direct and through the relay, what the relay adds,
and CPU microseconds per frame of the relay process beside the fake's (a bare receive-and-send,
one hop's floor; the relay does two hops). Everything (load generator, fake, relay, PostgreSQL)
shares this machine.

    uv run python benchmarks/relay.py [--seconds 3] [--rounds 3] [--streams 1,10,25,50]

PostgreSQL: PITCHLAB_BENCH_DATABASE_URL (a server's maintenance database) or an embedded one.

Then the join storm (``--join-storm after|only|off``): 25 calls stream while 25 more are set up
over one second; the live calls' round trips before and during it, relayed and direct, each
set-up's time and the relay's CPU per set-up. ``--servers serve,ws=websockets,ws=wsproto,granian``
runs it all again under each server set-up (benchmarks/serve_variant.py; granian and wsproto
from the folder PITCHLAB_BENCH_EXTRAS names), ``serve@DIR`` on another source tree.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import struct
import sys
import time
from functools import partial
from pathlib import Path

import httpx
import orjson
import uvloop
from harness import (
    cpu_seconds,
    free_port,
    machine,
    pct,
    scratch_database,
    seed_company,
    serve_env,
    start_fake_voice_provider,
    start_process,
    start_serve,
)
from websockets.asyncio.client import connect

FRAME_BYTES = 640  # 20 ms of 16 kHz, 16-bit mono
AUDIO_KEY = '"audio_base_64":"'
FRAME_SECONDS = 0.02
INIT = orjson.dumps({"type": "conversation_initiation_client_data",
                     "conversation_config_override": {}, "dynamic_variables": {}}).decode()


def frame(stream: int, seq: int, size: int = FRAME_BYTES) -> str:
    payload = struct.pack("<II", stream, seq) + bytes(size - 8)
    return orjson.dumps({"user_audio_chunk": base64.b64encode(payload).decode()}).decode()


async def drive(ws, stream: int, frames: int, rtts: list[float], phase_offset: float,
                frame_bytes: int = FRAME_BYTES, period: float = FRAME_SECONDS) -> None:
    """Send ``frames`` frames of ``frame_bytes`` every ``period`` (real-time pace) and time each
    echo. Calls are independent, so their clocks are spread over the frame period
    (``phase_offset``) rather than all ticking at once, which no real set of calls does."""
    sent: dict[int, float] = {}
    done = asyncio.Event()

    async def receive() -> None:
        received = 0
        async for raw in ws:
            # The generator must stay cheap or it, not the relay, sets the latency: find the
            # payload by its key and decode only the 12 characters that carry the sequence.
            at = raw.find(AUDIO_KEY)
            if at < 0:
                continue
            head = raw[at + len(AUDIO_KEY):at + len(AUDIO_KEY) + 12]
            _, seq = struct.unpack("<II", base64.b64decode(head)[:8])
            rtts.append(time.perf_counter() - sent.pop(seq))
            received += 1
            if received == frames:
                done.set()
                return

    receiver = asyncio.create_task(receive())
    await asyncio.sleep(phase_offset)
    start = time.perf_counter()
    for seq in range(frames):
        sent[seq] = time.perf_counter()
        await ws.send(frame(stream, seq, frame_bytes))
        await asyncio.sleep(max(0.0, start + (seq + 1) * period - time.perf_counter()))
    await asyncio.wait_for(done.wait(), 30)
    receiver.cancel()


async def open_direct(fake_port: int):
    ws = await connect(f"ws://127.0.0.1:{fake_port}/v1/convai/conversation", compression=None)
    await ws.send(INIT)
    await ws.recv()
    return ws


async def open_relayed(http: httpx.AsyncClient, base: str, token: str):
    started = await http.post(f"{base}/api/sessions/start", json={"mode": "voice"},
                              headers={"Authorization": f"Bearer {token}"})
    started.raise_for_status()
    body = started.json()
    ws = await connect(body["stream"]["url"], compression=None)
    await ws.send(INIT)
    while orjson.loads(await ws.recv())["type"] != "conversation_initiation_metadata":
        pass
    return ws, body["id"]


async def phase(streams: list, frames: int, pids: list[int]) -> tuple[list[float], list[float]]:
    rtts: list[float] = []
    before = [cpu_seconds(pid) for pid in pids]
    offsets = [FRAME_SECONDS * i / len(streams) for i in range(len(streams))]
    await asyncio.gather(*(drive(ws, i, frames, rtts, offsets[i]) for i, ws in enumerate(streams)))
    after = [cpu_seconds(pid) for pid in pids]
    return rtts, [a - b for a, b in zip(after, before, strict=True)]


async def direct_round(n: int, frames: int, fake_port: int, fake_pid: int):
    streams = [await open_direct(fake_port) for _ in range(n)]
    rtts, (fake_cpu,) = await phase(streams, frames, [fake_pid])
    for ws in streams:
        await ws.close()
    return rtts, fake_cpu


async def relay_round(n: int, frames: int, http, base: str, tokens, relay_pid: int):
    opened = [await open_relayed(http, base, tokens[i]) for i in range(n)]
    rtts, (relay_cpu,) = await phase([ws for ws, _ in opened], frames, [relay_pid])
    for index, (ws, session_id) in enumerate(opened):
        await ws.close()
        await http.post(f"{base}/api/sessions/{session_id}/end",
                        headers={"Authorization": f"Bearer {tokens[index]}"})
    return rtts, relay_cpu


async def run(args, base: str, fake_port: int, relay_pid: int, fake_pid: int, tokens) -> None:
    frames = int(args.seconds / FRAME_SECONDS)
    print(f"{args.rounds} rounds x {frames} frames of {FRAME_BYTES} bytes per stream, one every "
          "20 ms; direct and relayed rounds alternate\n")
    print(f"{'N':>3} | {'direct p50/p99 ms':>17} | {'relay p50/p99 ms':>16} | "
          f"{'added p50/p99 ms':>16} | {'relay us/frame':>14} | {'fake us/frame':>13} | ratio")
    async with httpx.AsyncClient(timeout=30) as http:
        for n in args.streams:
            d_rtts, r_rtts, d_cpu, r_cpu = [], [], 0.0, 0.0
            for _ in range(args.rounds):
                rtts, cpu = await direct_round(n, frames, fake_port, fake_pid)
                d_rtts += rtts
                d_cpu += cpu
                rtts, cpu = await relay_round(n, frames, http, base, tokens, relay_pid)
                r_rtts += rtts
                r_cpu += cpu
            total = n * frames * args.rounds
            relay_us, fake_us = r_cpu / total * 1e6, d_cpu / total * 1e6
            d50, d99, r50, r99 = pct(d_rtts, 50), pct(d_rtts, 99), pct(r_rtts, 50), pct(r_rtts, 99)
            print(f"{n:>3} | {d50:>7.2f} / {d99:>6.2f} | {r50:>6.2f} / {r99:>6.2f} | "
                  f"{r50 - d50:>6.2f} / {r99 - d99:>6.2f} | {relay_us:>14.1f} | {fake_us:>13.1f} | "
                  f"{relay_us / fake_us:>5.2f}")


# --- join storm: calls joining while others stream --------------------------------------------

STORM_LIVE, STORM_JOINERS = 25, 25
STORM_BEFORE, STORM_JOINING, STORM_AFTER = 1.0, 1.0, 0.5  # seconds of each window
STORM_WARM_UP = 0.2  # the first frames of a round pay for the streams' own start


class SentAndRtt(list):
    """What drive() appends is a round trip, at the moment its echo arrives; keep when its frame
    was sent too (now - rtt), so that a round's round trips can be split by window."""

    def append(self, rtt: float) -> None:
        super().append((time.perf_counter() - rtt, rtt))


async def join_later(delay: float, join) -> tuple[float, object]:
    """Wait ``delay``, then set up one call; returns how long that took, and the call."""
    await asyncio.sleep(delay)
    began = time.perf_counter()
    call = await join()
    return time.perf_counter() - began, call


async def storm_round(live: list, join, pid: int) -> tuple[list[float], list[float], list[float],
                                                          float, list]:
    """``live`` streams 20 ms frames; after STORM_BEFORE, STORM_JOINERS calls are set up by
    ``join(i)``, spread over STORM_JOINING. Returns the live calls' round trips before the storm
    and while it lasts (from its first join until its last has finished), each set-up time, the
    CPU seconds of process ``pid`` per set-up (its CPU over the storm less what streaming alone
    took at the rate before it), and the joined calls."""
    samples = SentAndRtt()
    frames = int((STORM_BEFORE + STORM_JOINING + STORM_AFTER) / FRAME_SECONDS)
    offsets = [FRAME_SECONDS * i / len(live) for i in range(len(live))]
    began = time.perf_counter()
    streaming = asyncio.gather(*(drive(ws, i, frames, samples, offsets[i])
                                 for i, ws in enumerate(live)))
    await asyncio.sleep(STORM_WARM_UP)
    cpu_warm, warm = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(STORM_BEFORE - STORM_WARM_UP)
    storm_began, cpu_began = time.perf_counter(), cpu_seconds(pid)
    joins = await asyncio.gather(*(join_later(STORM_JOINING * i / STORM_JOINERS, partial(join, i))
                                   for i in range(STORM_JOINERS)))
    storm_ended = max(time.perf_counter(), storm_began + STORM_JOINING)
    cpu_ended = cpu_seconds(pid)
    streaming_rate = (cpu_began - cpu_warm) / (storm_began - warm)
    setup_cpu = (cpu_ended - cpu_began - streaming_rate * (time.perf_counter() - storm_began)
                 ) / STORM_JOINERS
    await streaming
    before = [rtt for sent, rtt in samples if began + STORM_WARM_UP <= sent < storm_began]
    during = [rtt for sent, rtt in samples if storm_began <= sent < storm_ended]
    return before, during, [setup for setup, _ in joins], setup_cpu, [call for _, call in joins]


async def direct_storm(fake_port: int, fake_pid: int):
    live = [await open_direct(fake_port) for _ in range(STORM_LIVE)]
    *result, joined = await storm_round(live, lambda _: open_direct(fake_port), fake_pid)
    for ws in live + joined:
        await ws.close()
    return result


async def relay_storm(http, base: str, tokens, relay_pid: int):
    live = [await open_relayed(http, base, tokens[i]) for i in range(STORM_LIVE)]
    *result, joined = await storm_round(
        [ws for ws, _ in live], lambda i: open_relayed(http, base, tokens[STORM_LIVE + i]),
        relay_pid)
    # joined[i] is tokens[STORM_LIVE + i]'s call: gather keeps the order it was given
    for index, (ws, session_id) in enumerate(live + joined):
        await ws.close()
        await http.post(f"{base}/api/sessions/{session_id}/end",
                        headers={"Authorization": f"Bearer {tokens[index]}"})
    return result


def storm_line(name: str, before: list[float], during: list[float], setups: list[float],
               setup_cpu: list[float]) -> str:
    return (f"{name:<7} | {pct(before, 50):>6.2f} / {pct(before, 99):>6.2f} / "
            f"{max(before) * 1000:>6.2f} | {pct(during, 50):>6.2f} / {pct(during, 99):>6.2f} / "
            f"{max(during) * 1000:>6.2f} | {pct(setups, 50):>6.1f} / {max(setups) * 1000:>6.1f}"
            f" | {sum(setup_cpu) / len(setup_cpu) * 1000:>14.1f}")


async def join_storm(args, base: str, fake_port: int, relay_pid: int, fake_pid: int,
                     tokens) -> None:
    print(f"\njoin storm: {STORM_LIVE} live calls stream 20 ms frames; after {STORM_BEFORE:g} s, "
          f"{STORM_JOINERS} more calls are set up over {STORM_JOINING:g} s (relayed: POST "
          f"/api/sessions/start, WebSocket, init, metadata; direct: WebSocket, init, metadata); "
          f"{args.rounds} rounds, direct and relayed alternate. Round trips in ms of the live "
          "calls' frames sent before the storm and while it lasts.\n")
    print(f"{'':<7} | {'before p50 / p99 / max':>22} | {'joining p50 / p99 / max':>22} | "
          f"{'set-up p50 / max':>16} | {'CPU ms/set-up':>14}")
    pooled: dict[str, tuple[list, list, list, list]] = {"direct": ([], [], [], []),
                                                        "relay": ([], [], [], [])}
    async with httpx.AsyncClient(timeout=30) as http:
        for _ in range(args.rounds):
            for name, (before, during, setups, cpu) in (
                    ("direct", await direct_storm(fake_port, fake_pid)),
                    ("relay", await relay_storm(http, base, tokens, relay_pid))):
                kept = pooled[name]
                kept[0].extend(before), kept[1].extend(during), kept[2].extend(setups)
                kept[3].append(cpu)
    for name, kept in pooled.items():
        print(storm_line(name, *kept))
    (d_before, d_during, *_), (r_before, r_during, *_) = pooled["direct"], pooled["relay"]
    print(f"added p99 (relay - direct): before {pct(r_before, 99) - pct(d_before, 99):.2f} ms, "
          f"joining {pct(r_during, 99) - pct(d_during, 99):.2f} ms (target <= 10 ms)")


# --- server set-ups: the same app under other servers, and other source trees -----------------

def start_relay(owner_url, workdir, server: str, **env: str):
    """``serve`` (`pitchlab serve` as shipped), or the app under benchmarks/serve_variant.py:
    uvicorn options such as ``ws=wsproto`` or ``ws=websockets+loop=asyncio``, or ``granian``.
    ``NAME@DIR`` runs it on the source tree DIR instead (a before/after in one run)."""
    name, _, source = server.partition("@")
    if source:
        env["PYTHONPATH"] = str(Path(source).resolve())
    if name == "serve":
        return start_serve(owner_url, workdir, **env)
    if name.startswith("workers="):  # pitchlab serve --workers N
        return start_serve(owner_url, workdir, extra_args=("--workers", name.split("=")[1]),
                           **env)
    port = free_port()
    options = ["--granian"] if name == "granian" else [f"--{key}={value}" for key, value in
                                                       (o.split("=") for o in name.split("+"))]
    started = start_process([sys.executable, "benchmarks/serve_variant.py", "--port", str(port),
                             *options], serve_env(owner_url, workdir, port, **env),
                            ready_url=f"http://127.0.0.1:{port}/readyz")
    return started, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="audio per stream and round")
    parser.add_argument("--rounds", type=int, default=3, help="direct/relayed round pairs per N")
    parser.add_argument("--streams", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 10, 25, 50])
    parser.add_argument("--servers", type=lambda s: s.split(","), default=["serve"],
                        help="server set-ups, one after the other: serve (default), workers=N,"
                        " ws=wsproto,"
                        " ws=websockets, loop=asyncio, http=h11, granian; NAME@SRC_DIR runs"
                        " it on another source tree (before/after)")
    parser.add_argument("--join-storm", choices=["after", "only", "off"], default="after",
                        help="the join storm after the N table (default), instead of it, or not")
    args = parser.parse_args()
    print(machine())

    with scratch_database() as (owner_url, workdir):
        fake, fake_port, upstream = start_fake_voice_provider()
        tokens = None
        try:
            for server in args.servers:
                relay, relay_url = start_relay(owner_url, workdir, server, **upstream)
                try:
                    tokens = tokens or [token for _, _, token in seed_company(
                        owner_url, max([*args.streams, STORM_LIVE + STORM_JOINERS]))]
                    print(f"\nserver: {server}")
                    # uvloop, like the relay and the fake: the load generator must not be the
                    # slowest hop
                    if args.join_storm != "only":
                        uvloop.run(run(args, relay_url, fake_port, relay.pid, fake.pid, tokens))
                    if args.join_storm != "off":
                        uvloop.run(join_storm(args, relay_url, fake_port, relay.pid, fake.pid,
                                              tokens))
                finally:
                    relay.stop()
        finally:
            fake.stop()

if __name__ == "__main__":
    main()
