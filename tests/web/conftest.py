"""The web app under test: the session's app behind a real server, and headless Chromium.

The browser, first found of: ``PITCHLAB_CHROMIUM`` (a path), a Chromium on PATH (Debian's
``chromium``, which ``.ci/run`` installs when missing), Playwright's own Chromium; with none, the
fixture fetches Playwright's (``python -m playwright install chromium``, once per machine). If that
fails too, every browser test fails and says how to get one: a browser test never skips.

Each test gets a fresh browser context (no cookies); ``shoot(page, name)`` saves a screenshot
under ``artifacts/screenshots/<test>/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
FAKE_AUDIO = ROOT / "tests" / "data" / "speech_16k.wav"


def chromium_on_path() -> str | None:
    if configured := os.environ.get("PITCHLAB_CHROMIUM"):
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


def chromium_for(bundled: str) -> str:
    """A Chromium to drive (see the module's docstring; ``bundled``: where Playwright keeps its
    own), or the test fails saying how to get one. Blocking: run once, before any browser test."""
    if found := chromium_on_path():
        return found
    if not os.path.exists(bundled):
        fetch = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"],
                               capture_output=True, text=True, check=False)
        if fetch.returncode != 0 or not os.path.exists(bundled):
            pytest.fail("No Chromium for the browser tests, and fetching Playwright's failed: "
                        "install one (apt-get install chromium) or name it in PITCHLAB_CHROMIUM. "
                        + (fetch.stdout + fetch.stderr)[-500:])
    return bundled


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    args = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
            f"--use-file-for-fake-audio-capture={FAKE_AUDIO}"]
    async with async_playwright() as playwright:
        path = await asyncio.to_thread(chromium_for, playwright.chromium.executable_path)
        launched = await playwright.chromium.launch(executable_path=path, headless=True, args=args)
        yield launched
        await launched.close()


@pytest.fixture
async def web(app, live_server, public_url_is_live_server) -> str:
    """The session's app behind a real HTTP server; its emailed links point there."""
    return live_server


@contextlib.asynccontextmanager
async def browser_page(browser, base_url: str) -> AsyncIterator:
    """A page in a fresh browser context (no cookies) on ``base_url``; a JavaScript error on it
    fails the test."""
    context = await browser.new_context(base_url=base_url,
                                        viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
async def page(browser, web) -> AsyncIterator:
    async with browser_page(browser, web) as opened:
        yield opened


def _test_folder(page) -> Path:
    name = os.environ.get("PYTEST_CURRENT_TEST", "test").split(" ")[0].split("::")[-1]
    return SCREENSHOTS / re.sub(r"[^\w.-]+", "_", name)


async def shoot(page, name: str) -> Path:
    """A full-page screenshot, as an artefact of the run."""
    folder = _test_folder(page)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
