"""Recording uploads through `pitchlab serve` over a real socket: how fast a file streams to
storage, and how much the server's memory grows meanwhile (it must not hold the file).

Uploads audio files of ``--sizes`` MB (a WAV header, then silence) as one rep, each timed from
the first byte sent to the 202, while a thread samples the server's RSS every 20 ms. The
server's speech-to-text points at nothing that answers (the recordings fail in the background
afterwards): the upload path is what is measured.

    PITCHLAB_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        python benchmarks/uploads.py [--sizes 10 50 200]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator

import httpx
from benchmarks.harness import (
    free_port,
    machine,
    rss_bytes,
    scratch_database,
    seed_company,
    start_serve,
)

MB = 1000 * 1000
CHUNK = b"\x00" * (1 << 20)
WAV = (b"RIFF\x24\x10\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00"
       b"\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x10\x00\x00")
BOUNDARY = "pitchlab-bench"


def body(size: int) -> Iterator[bytes]:
    yield (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"bench.wav\"\r\n\r\n").encode() + WAV
    sent = len(WAV)
    while sent < size:
        piece = CHUNK[: min(len(CHUNK), size - sent)]
        sent += len(piece)
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


class RssSampler(threading.Thread):
    """The server's resident memory, sampled until stopped: its peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss_bytes(pid), True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.02)  # a sampling interval, not a wait for an event


def upload(client: httpx.Client, token: str, size: int) -> float:
    started = time.perf_counter()
    answer = client.post("/api/recordings", content=body(size), headers={
        "authorization": f"Bearer {token}",
        "content-type": f"multipart/form-data; boundary={BOUNDARY}"})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 202, answer.text
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 200])
    args = parser.parse_args()
    print(machine())
    with scratch_database() as (owner_url, workdir):
        nowhere = f"http://127.0.0.1:{free_port()}"
        server, base = start_serve(owner_url, workdir, PITCHLAB_ELEVENLABS_API_KEY="bench",
                                   PITCHLAB_ELEVENLABS_BASE_URL=nowhere)
        try:
            (_, _, token), = seed_company(owner_url, 1)
            print(f"\n{'upload':>8} | {'seconds':>7} | {'MB/s':>6} | {'RSS before':>10} | "
                  f"{'RSS peak':>9} | {'growth':>7}")
            with httpx.Client(base_url=base, timeout=600) as client:
                upload(client, token, 1 * MB)  # warm-up: imports, the first connection
                for size_mb in args.sizes:
                    before = rss_bytes(server.pid)
                    sampler = RssSampler(server.pid)
                    sampler.start()
                    seconds = upload(client, token, size_mb * MB)
                    sampler.running = False
                    sampler.join()
                    print(f"{size_mb:>6}MB | {seconds:>7.2f} | {size_mb / seconds:>6.1f} | "
                          f"{before / MB:>8.1f}MB | {sampler.peak / MB:>7.1f}MB | "
                          f"{(sampler.peak - before) / MB:>5.1f}MB")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
