#!/usr/bin/env python3
"""Run uv without installing anything into the Python that runs this script.

    python3 scripts/uv.py run --locked pytest        (Windows: py scripts\\uv.py ...)

A distribution's Python refuses `pip install` outside a virtual environment (PEP 668:
"externally-managed-environment"), and often has neither pip nor venv. So the first run
fetches one pinned uv binary into `.uv-bootstrap/<version>/` beside this folder, and every
run hands its arguments to that binary. Fetching never installs into any environment:

1. with pip, when this Python has it: `pip download` (downloading is allowed under PEP 668,
   and it uses your pip configuration: index, proxy, certificates), then the binary is taken
   out of the wheel;
2. else straight from the package index (`PIP_INDEX_URL`, default PyPI) with urllib, the wheel
   for this platform checked against the index's sha256.

Standard library only; works with any Python 3.8+ on Linux, macOS and Windows. Delete
`.uv-bootstrap/` to fetch again. `UV_BOOTSTRAP_DIR` and `UV_BOOTSTRAP_INDEX_URL` override the
folder and the index; `UV_BOOTSTRAP_NO_PIP=1` skips step 1.
"""

from __future__ import annotations

import hashlib
import html.parser
import importlib.util
import io
import os
import platform
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

UV_VERSION = "0.13.9"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX = "https://pypi.org/simple/"
WINDOWS_TAGS = {"amd64": "win_amd64", "x86_64": "win_amd64", "arm64": "win_arm64",
                "aarch64": "win_arm64", "x86": "win32", "i386": "win32", "i686": "win32"}
LINUX_ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64", "armv8l": "armv7l"}


class BootstrapError(Exception):
    """A failure the user can act on; printed as one line, without a traceback."""


def say(message: str) -> None:
    print(f"scripts/uv.py: {message}", file=sys.stderr, flush=True)


def binary_name() -> str:
    return "uv.exe" if os.name == "nt" else "uv"


def installed_path() -> Path:
    folder = Path(os.environ.get("UV_BOOTSTRAP_DIR") or ROOT / ".uv-bootstrap")
    return folder / UV_VERSION / binary_name()


# --- choosing the wheel for this platform (only when pip cannot choose for us) --------------

def platform_tags_wanted(system: str, machine: str, libc: tuple[str, str]):
    """A predicate on a wheel's platform tag, and a rank (higher is better) for ties."""
    system, machine = system.lower(), machine.lower()
    if system == "windows":
        wanted = WINDOWS_TAGS.get(machine)
        return lambda tag: (tag == wanted, 0)
    if system == "darwin":
        arch = "arm64" if machine in ("arm64", "aarch64") else "x86_64"
        return lambda tag: (bool(re.fullmatch(rf"macosx_\d+_\d+_({arch}|universal2)", tag)), 0)
    if system == "linux":
        arch = LINUX_ARCH_ALIASES.get(machine, machine)
        family = "manylinux" if libc[0] == "glibc" else "musllinux"
        have = _version(libc[1]) if libc[0] == "glibc" else (1, 99)  # musl: every 1.x wheel

        def linux(tag: str):
            found = re.fullmatch(r"(manylinux|musllinux)_(\d+)_(\d+)_(\w+)", tag)
            if not found or found[1] != family or found[4] != arch:
                return False, 0
            need = (int(found[2]), int(found[3]))
            return need <= have, need
        return linux
    return lambda _tag: (False, 0)


def _version(text: str) -> tuple[int, int]:
    parts = [int(p) for p in re.findall(r"\d+", text)[:2]]
    return tuple(parts + [0] * (2 - len(parts)))  # type: ignore[return-value]


def pick_wheel(filenames, system: str, machine: str, libc: tuple[str, str]) -> str | None:
    """The best of uv's wheels (``uv-<v>-py3-none-<platform tags>.whl``) for this platform."""
    wanted = platform_tags_wanted(system, machine, libc)
    best, best_rank = None, None
    for name in filenames:
        if not name.endswith(".whl"):
            continue
        for tag in name[: -len(".whl")].split("-")[-1].split("."):
            fits, rank = wanted(tag)
            if fits and (best_rank is None or rank > best_rank):
                best, best_rank = name, rank
    return best


# --- fetching ---------------------------------------------------------------------------------

class _Links(html.parser.HTMLParser):
    """The anchors of a PEP 503 "simple" index page: (file name, absolute url)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base, self.links, self._href = base, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None:
            self.links.append((data.strip(), urllib.parse.urljoin(self.base, self._href)))
            self._href = None


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except OSError as error:  # URLError, timeouts, certificate failures
        raise BootstrapError(f"could not fetch {url}: {error}") from None


def wheel_from_index(index: str) -> bytes:
    page = index.rstrip("/") + "/uv/"
    parser = _Links(page)
    parser.feed(_get(page).decode("utf-8", "replace"))
    wheels = {name: url for name, url in parser.links
              if name.startswith(f"uv-{UV_VERSION}-") and name.endswith(".whl")}
    name = pick_wheel(wheels, platform.system(), platform.machine(), platform.libc_ver())
    if name is None:
        raise BootstrapError(
            f"{page} has no uv {UV_VERSION} wheel for {platform.system()} {platform.machine()}; "
            "install uv yourself (https://docs.astral.sh/uv/) and run `uv` instead")
    url, _, fragment = wheels[name].partition("#")
    expected = urllib.parse.parse_qs(fragment).get("sha256", [None])[0]
    if not expected:
        raise BootstrapError(f"{page} gives no sha256 for {name}; refusing an unchecked download")
    say(f"downloading {name}")
    data = _get(url)
    if hashlib.sha256(data).hexdigest() != expected:
        raise BootstrapError(f"{name} does not match the index's sha256; not using it")
    return data


def wheel_with_pip() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--only-binary=:all:", "--disable-pip-version-check",
                   f"uv=={UV_VERSION}", "--dest", folder]
        if subprocess.call(command) != 0:
            raise BootstrapError("`pip download` failed")
        wheels = list(Path(folder).glob("*.whl"))
        if len(wheels) != 1:
            raise BootstrapError("`pip download` left no wheel")
        return wheels[0].read_bytes()


def fetch_wheel() -> bytes:
    if importlib.util.find_spec("pip") and not os.environ.get("UV_BOOTSTRAP_NO_PIP"):
        try:
            return wheel_with_pip()
        except BootstrapError as error:
            say(f"{error}; trying the index directly")
    return wheel_from_index(os.environ.get("UV_BOOTSTRAP_INDEX_URL")
                            or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX)


def extract_binary(wheel: bytes, target: Path) -> None:
    member = f"uv-{UV_VERSION}.data/scripts/{binary_name()}"
    try:
        with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
            binary = archive.read(member)
    except (zipfile.BadZipFile, KeyError):
        raise BootstrapError(f"the uv wheel has no {member}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a run in parallel never sees half a binary.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    os.replace(partial, target)


def ensure_uv() -> Path:
    target = installed_path()
    if not target.is_file():
        say(f"fetching uv {UV_VERSION} into {target.parent} (first run only)")
        extract_binary(fetch_wheel(), target)
    return target


def run(uv: Path, args: list[str]) -> int:
    if os.name != "nt":
        # Replaced, not wrapped: signals (Ctrl-C, a supervisor's SIGTERM) reach uv directly.
        os.execv(uv, [str(uv), *args])
    child = subprocess.Popen([str(uv), *args])
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:  # the console sent Ctrl-C to uv as well; let it finish
            continue


def main(args: list[str]) -> int:
    try:
        uv = ensure_uv()
    except BootstrapError as error:
        say(str(error))
        return 2
    return run(uv, args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
