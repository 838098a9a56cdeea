"""Running ``pitchlab`` as a newcomer would: a fresh process, only the environment given."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def clean_env(**settings: str) -> dict[str, str]:
    """The process environment without any PITCHLAB_ setting of the developer's, plus ``settings``;
    no XDG_RUNTIME_DIR either, as in a container or an ssh session."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PITCHLAB_") and k != "XDG_RUNTIME_DIR"}
    env.update(settings)
    return env


def run_pitchlab(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> Run:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pitchlab.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_startup_error(run: Run, setting: str, *phrases: str) -> None:
    """Exit code 2, fast, with one or two lines naming ``setting`` and what to try."""
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, run.stderr
    assert setting in lines[0], run.stderr
    assert "try:" in run.stderr, run.stderr
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr
    # Fails fast rather than after a connection timeout or a migration; the 5 s a newcomer
    # meets is measured by benchmarks/cli.py, here only a bound a loaded CI machine keeps.
    assert run.seconds < 15, f"took {run.seconds:.1f} s"
