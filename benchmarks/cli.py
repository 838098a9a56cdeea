"""How long ``pitchlab`` takes to answer, beside ``python -c pass`` as the baseline.

- ``pitchlab --help``;
- ``pitchlab outbox`` beside a running ``pitchlab serve`` (it attaches to the server's embedded
  database), and cold (it starts the embedded database, reads, stops it);
- the same through ``uv run --locked`` (the README's way), when uv is on PATH.

Each is run several times in a fresh process; the median, fastest and slowest are printed.
Uses a throwaway data dir (the embedded PostgreSQL) unless ``PITCHLAB_BENCH_DATABASE_URL`` names
a server, in which case "cold" means only that no server process is running beside it.

    uv run python benchmarks/cli.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pitchlab() -> list[str]:
    installed = Path(sys.executable).parent / "pitchlab"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "pitchlab.cli"]


def timed(command: list[str], env: dict[str, str], cwd: Path, runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                              check=False)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds


def report(label: str, seconds: list[float]) -> None:
    print(f"{label:<44} median {statistics.median(seconds):6.2f} s"
          f"   min {min(seconds):6.2f}   max {max(seconds):6.2f}   (n={len(seconds)})")


def start_server(env: dict[str, str], cwd: Path) -> subprocess.Popen:
    process = subprocess.Popen([*pitchlab(), "serve", "--port", "0"], env=env, cwd=cwd,
                               stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if "Application startup complete" in line:
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process
    raise SystemExit("pitchlab serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="pitchlab-cli-bench-") as scratch:
        cwd = Path(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PITCHLAB_")}
        env["PITCHLAB_DATA_DIR"] = str(cwd / "data")
        if os.environ.get("PITCHLAB_BENCH_DATABASE_URL"):
            env["PITCHLAB_DATABASE_URL"] = os.environ["PITCHLAB_BENCH_DATABASE_URL"]
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; {runs} runs each\n")
        report("python -c pass (baseline)", timed([sys.executable, "-c", "pass"], env, cwd, runs))
        report("pitchlab --help", timed([*pitchlab(), "--help"], env, cwd, runs))
        uv = shutil.which("uv")
        uv_run = [uv, "run", "--locked", "--project", str(ROOT), "pitchlab"] if uv else None
        if uv_run:
            report("uv run --locked pitchlab --help", timed([*uv_run, "--help"], env, cwd, runs))

        server = start_server(env, cwd)
        try:
            report("pitchlab outbox (beside pitchlab serve)",
                   timed([*pitchlab(), "outbox"], env, cwd, runs))
            if uv_run:
                report("uv run --locked pitchlab outbox (beside)",
                       timed([*uv_run, "outbox"], env, cwd, runs))
        finally:
            server.terminate()
            server.wait(timeout=60)
        report("pitchlab outbox (cold: nothing running)",
               timed([*pitchlab(), "outbox"], env, cwd, runs))


if __name__ == "__main__":
    main()
