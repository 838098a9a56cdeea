"""scripts/uv.py, the README's way to uv: a pinned binary fetched once, never an install into
the running Python. The index route (a Python without pip: a stock Debian or Ubuntu) runs here
against a local index; .ci/run takes the pip route with the distribution's /usr/bin/python3."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import importlib.util
import io
import os
import platform
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "uv.py"
spec = importlib.util.spec_from_file_location("uv_bootstrap", SCRIPT)
uv_bootstrap = importlib.util.module_from_spec(spec)
spec.loader.exec_module(uv_bootstrap)
VERSION = uv_bootstrap.UV_VERSION

# uv's wheels as PyPI lists them (0.13.9's platform tags)
WHEELS = [f"uv-{VERSION}-py3-none-{tags}.whl" for tags in (
    "linux_armv6l", "macosx_10_12_x86_64", "macosx_11_0_arm64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64",
    "manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l",
    "manylinux_2_17_armv7l.manylinux2014_armv7l", "manylinux_2_17_i686.manylinux2014_i686",
    "manylinux_2_17_ppc64le.manylinux2014_ppc64le", "manylinux_2_17_s390x.manylinux2014_s390x",
    "manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_28_aarch64",
    "manylinux_2_31_riscv64.musllinux_1_1_riscv64", "manylinux_2_31_riscv64",
    "musllinux_1_1_i686", "musllinux_1_1_x86_64", "win32", "win_amd64", "win_arm64",
)]


def tags_of(name: str | None) -> str | None:
    return None if name is None else name.split("-")[-1].removesuffix(".whl")


@pytest.mark.parametrize(("system", "machine", "libc", "expected"), [
    ("Linux", "x86_64", ("glibc", "2.36"), "manylinux_2_17_x86_64.manylinux2014_x86_64"),
    ("Linux", "aarch64", ("glibc", "2.35"), "manylinux_2_28_aarch64"),
    ("Linux", "aarch64", ("glibc", "2.27"),
     "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64"),
    ("Linux", "x86_64", ("", ""), "musllinux_1_1_x86_64"),  # Alpine: musl
    ("Linux", "x86_64", ("glibc", "2.5"), None),  # older than any wheel
    ("Linux", "riscv64", ("glibc", "2.28"), None),
    ("Darwin", "arm64", ("", ""), "macosx_11_0_arm64"),
    ("Darwin", "x86_64", ("", ""), "macosx_10_12_x86_64"),
    ("Windows", "AMD64", ("", ""), "win_amd64"),
    ("Windows", "ARM64", ("", ""), "win_arm64"),
    ("Windows", "x86", ("", ""), "win32"),
    ("FreeBSD", "amd64", ("", ""), None),
])
def test_the_wheel_for_each_platform(system, machine, libc, expected):
    assert tags_of(uv_bootstrap.pick_wheel(WHEELS, system, machine, libc)) == expected


def fake_wheel(script: str) -> bytes:
    """A wheel shaped like uv's, whose "binary" is a shell script."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"uv-{VERSION}.data/scripts/uv", script)
        archive.writestr("uv/__init__.py", "")
    return buffer.getvalue()


@contextlib.contextmanager
def fake_index(wheel: bytes, sha256: str):
    """A PEP 503 index with uv's wheels for this machine (glibc or musl), all ``wheel``."""
    machine = platform.machine()
    names = [f"uv-{VERSION}-py3-none-manylinux_2_17_{machine}.manylinux2014_{machine}.whl",
             f"uv-{VERSION}-py3-none-musllinux_1_1_{machine}.whl"]
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path == "/simple/uv/":
                links = "".join(f'<a href="../../files/{n}#sha256={sha256}">{n}</a>'
                                for n in names)
                body = f"<html><body>{links}</body></html>".encode()
            elif self.path.removeprefix("/files/") in names:
                body = wheel
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/simple/", requests
    finally:
        server.shutdown()
        server.server_close()


def run_script(tmp_path: Path, index: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "UV_BOOTSTRAP_DIR": str(tmp_path / "bootstrap"),
           "UV_BOOTSTRAP_INDEX_URL": index, "UV_BOOTSTRAP_NO_PIP": "1"}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_without_pip_the_wheel_comes_from_the_index_once_and_runs_with_the_arguments(tmp_path):
    wheel = fake_wheel('#!/bin/sh\necho "fake uv: $*"\n')
    with fake_index(wheel, hashlib.sha256(wheel).hexdigest()) as (index, requests):
        first = run_script(tmp_path, index, "run", "--locked", "pytest")
        fetched = list(requests)
        second = run_script(tmp_path, index, "run", "--locked", "pitchlab", "serve")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "fake uv: run --locked pytest\n"
    assert "downloading uv-" in first.stderr
    assert fetched[0] == "/simple/uv/" and fetched[1].startswith("/files/uv-")
    assert requests == fetched  # the second run used the binary it had
    assert second.returncode == 0 and second.stdout == "fake uv: run --locked pitchlab serve\n"
    assert second.stderr == ""
    assert (tmp_path / "bootstrap" / VERSION / "uv").is_file()


def test_a_wheel_that_does_not_match_its_hash_is_refused(tmp_path):
    wheel = fake_wheel('#!/bin/sh\necho "tampered"\n')
    with fake_index(wheel, hashlib.sha256(b"something else").hexdigest()) as (index, _):
        result = run_script(tmp_path, index, "--version")
    assert result.returncode == 2
    assert "does not match the index's sha256" in result.stderr
    assert "Traceback" not in result.stderr and "tampered" not in result.stdout
    assert not (tmp_path / "bootstrap" / VERSION / "uv").exists()


def test_an_unreachable_index_is_one_line_naming_it(tmp_path):
    with fake_index(b"", "0" * 64) as (index, _):
        pass  # shut down: nothing listens on that port any more
    result = run_script(tmp_path, index, "--version")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith(f"scripts/uv.py: could not fetch {index}uv/")
    assert "Traceback" not in result.stderr
