"""OpenAI down, four ways: the SDK retries the call, then the feedback job scores the call with
the local rules (saying why): every ended call gets its feedback exactly once, billed as usual.
Once OpenAI recovers the model scores again. /metrics counts each failed scoring call."""

from __future__ import annotations

import pytest

from pitchlab.deps import context_of
from pitchlab.providers.llm import OpenAISkillScorer
from tests.auth.helpers import bearer
from tests.fakes.misbehave import FAULTS, misbehaving
from tests.fakes.openai_server import FakeOpenAI
from tests.faults.conftest import drain_counted, provider_errors, using
from tests.practice.helpers import quota_and_usage, rep, start

KEY = "sk-faults-openai-key-0123"
MODEL = "gpt-4o"
# What the SDK sees for each fault, by the exception type the fallback names.
REASONS = {"refuse": "APIConnectionError", "timeout": "APITimeoutError",
           "500": "InternalServerError", "429": "RateLimitError"}


@pytest.fixture
async def openai(app):
    fake = FakeOpenAI(api_key=KEY)
    async with misbehaving(fake.app()) as switch:
        scorer = OpenAISkillScorer(platform_key=KEY, base_url=f"{switch.base_url}/v1",
                                   model=MODEL, vault=context_of(app).vault,
                                   timeout_seconds=0.5, max_retries=1)
        with using(app, scorer=scorer):
            yield fake, switch


async def ended_call(client, tokens) -> str:
    sid = (await start(client, tokens, mode="text"))["id"]
    said = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                             json={"text": "What slows your new reps down?"})
    assert said.status_code == 200, said.text
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    assert ended.status_code == 200, ended.text
    assert ended.json()["minutes_billed"] == 1
    return sid


@pytest.mark.parametrize("fault", FAULTS)
async def test_feedback_falls_back_to_the_local_rules_and_the_model_returns_after(
    app, client, owner_url, owner_conn, openai, fault
):
    fake, switch = openai
    tokens = await rep(client, app, owner_url)
    before = await provider_errors(client, "openai")
    await switch.set(fault)

    sid = await ended_call(client, tokens)
    await drain_counted(app)

    feedback = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert feedback.status_code == 200, feedback.text
    body = feedback.json()
    assert body["status"] == "ready"
    assert body["metrics"]["scored_by"] == "local"
    assert body["metrics"]["skill_scores"]  # a full report from the local rules
    assert fake.requests == []  # the model answered nothing
    assert switch.faulted == (0 if fault == "refuse" else 2)  # asked, then retried once
    cursor = await owner_conn.execute(
        "SELECT f.scored_by, f.metrics->>'fallback_reason' FROM feedback f"
        " WHERE f.session_id = %s", (sid,))
    assert await cursor.fetchall() == [("local", REASONS[fault])]  # once, and why
    assert await provider_errors(client, "openai") == before + 1
    assert quota_and_usage(owner_url, tokens["email"])[1:] == (1, 1)

    await switch.set(None)
    sid = await ended_call(client, tokens)
    await drain_counted(app)
    body = (await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))).json()
    assert body["metrics"]["scored_by"] == MODEL
    assert len(fake.requests) == 1
    assert await provider_errors(client, "openai") == before + 1
