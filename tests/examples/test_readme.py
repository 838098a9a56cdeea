"""The README's commands are the ones that run: CI runs its two top commands word for word, its
walk-through's request bodies are accepted in order, and its way to clear a locked-out login in
Redis clears it."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import httpx
import pytest
import redis.asyncio as redis

from pitchlab.app import create_app
from pitchlab.deps import context_of
from tests.auth.helpers import drain_jobs, latest_verification_token
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.DOTALL)


def requests_in(text: str) -> list[tuple[str, dict]]:
    """(path, JSON body) of each `curl localhost:8000<path> ... -d '<body>'` in ``text``."""
    found = []
    for block in shell_blocks(text):
        command = block.replace("\\\n", " ")
        for path, body in re.findall(r"localhost:8000(/\S+).*?-d '(\{.*?\})'", command):
            found.append((path, json.loads(body)))
    return found


def test_ci_runs_the_readme_commands_word_for_word():
    top = README.split("\n---\n", 1)[0]
    commands = [block.strip() for block in shell_blocks(top)]
    assert len(commands) == 2  # the server, the tests
    assert all(c.startswith("python3 scripts/uv.py run --locked ") for c in commands)
    assert commands[1] == "python3 scripts/uv.py run --locked pytest"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in commands:
        word_for_word = re.compile(r"(^|\s)" + re.escape(command) + r"(\s|$)")
        assert any(word_for_word.search(line) for line in ci if not line.lstrip().startswith("#"))
    assert 'export PATH="/usr/bin:$PATH"' in ci  # the distribution's Python comes first


async def test_the_walk_through_requests_are_accepted_in_order(client, app, owner_url):
    steps = requests_in(section("Trying it out"))
    assert [path for path, _ in steps] == [
        "/api/auth/register", "/api/auth/login", "/api/users/me/consents", "/api/sessions/start"]
    (_, register), (_, login), (_, consent), (_, start) = steps

    assert (await client.post("/api/auth/register", json=register)).status_code == 202
    await drain_jobs(app)  # the outbox step
    token = latest_verification_token(owner_url, register["email"])
    assert (await client.get("/api/auth/verify-email", params={"token": token})).status_code == 200
    signed_in = await client.post("/api/auth/login", json=login)
    assert signed_in.status_code == 200
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    refused = await client.post("/api/sessions/start", headers=headers, json=start)
    assert refused.status_code == 403  # the step the walk-through puts first
    assert refused.json()["error"]["code"] == "consent_required"
    assert (await client.post("/api/users/me/consents", headers=headers, json=consent)
            ).status_code == 201
    started = await client.post("/api/sessions/start", headers=headers, json=start)
    assert started.status_code == 201, started.text
    session = started.json()["id"]
    again = await client.post("/api/sessions/start", headers=headers, json=start)
    assert again.status_code == 409  # "one call at a time"
    assert (await client.post(f"/api/sessions/{session}/end", headers=headers)).status_code == 200
    feedback = await client.get(f"/api/sessions/{session}/feedback", headers=headers)
    assert feedback.status_code == 202


@pytest.fixture
async def redis_client(owner_url, tmp_path, redis_url):
    settings = make_settings(owner_url, tmp_path, redis_url=redis_url)
    app = create_app(settings)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        await context_of(app).limiter.reset()
        stack.push_async_callback(context_of(app).limiter.reset)
        yield app, await stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"))


async def test_the_readme_pattern_clears_a_locked_out_login_in_redis(
    redis_client, owner_url, redis_url
):
    app, client = redis_client
    [pattern] = re.findall(r"--pattern '([^']+)'", section("Trying it out"))
    email, password = "locked-out@example.com", "a long passphrase"
    body = {"email": email, "password": password, "name": "Me", "company_name": "Acme"}
    assert (await client.post("/api/auth/register", json=body)).status_code == 202
    await drain_jobs(app)
    token = latest_verification_token(owner_url, email)
    assert (await client.get("/api/auth/verify-email", params={"token": token})).status_code == 200

    wrong = {"email": email, "password": "not the password"}
    statuses = [(await client.post("/api/auth/login", json=wrong)).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    right = {"email": email, "password": password}
    assert (await client.post("/api/auth/login", json=right)).status_code == 429

    connection = redis.from_url(redis_url)
    try:
        keys = [key async for key in connection.scan_iter(match=pattern)]
        assert keys
        await connection.delete(*keys)
    finally:
        await connection.aclose()
    assert (await client.post("/api/auth/login", json=right)).status_code == 200
