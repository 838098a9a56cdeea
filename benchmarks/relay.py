"""Relay benchmark: 20 ms pcm_16000 frames on N concurrent streams, through Pitchlab's relay to a
local fake provider, and the same frames straight to that fake, in one run.

Prints for N = 1, 10, 25, 50: round-trip p50/p99 direct and through the relay, what the relay adds,
and CPU microseconds per frame of the relay process beside the fake's (a bare receive-and-send,
one hop's floor; the relay does two hops). Everything (load generator, fake, relay, PostgreSQL)
shares this machine.

    uv run python benchmarks/relay.py [--seconds 3] [--rounds 3] [--streams 1,10,25,50]

PostgreSQL: PITCHLAB_BENCH_DATABASE_URL (a server's maintenance database) or an embedded one.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import struct
import sys
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="audio per stream and round")
    parser.add_argument("--rounds", type=int, default=3, help="direct/relayed round pairs per N")
    parser.add_argument("--streams", type=lambda s: [int(x) for x in s.split(",")],
                        default=[1, 10, 25, 50])
    args = parser.parse_args()
    print(machine())

    with scratch_database() as (owner_url, workdir):
        fake_port = free_port()
        fake = start_process([sys.executable, "benchmarks/fake_voice_provider.py",
                              str(fake_port)], {}, ready_line="ready")
        relay, relay_url = start_serve(
            owner_url, workdir, PITCHLAB_ELEVENLABS_API_KEY="bench-key",
            PITCHLAB_ELEVENLABS_AGENT_ID="bench-agent",
            PITCHLAB_ELEVENLABS_BASE_URL=f"http://127.0.0.1:{fake_port}")
        try:
            tokens = [token for _, _, token in seed_company(owner_url, max(args.streams))]
            # uvloop, like the relay and the fake: the load generator must not be the slowest hop
            uvloop.run(run(args, relay_url, fake_port, relay.pid, fake.pid, tokens))
        finally:
            relay.stop()
            fake.stop()

if __name__ == "__main__":
    main()
