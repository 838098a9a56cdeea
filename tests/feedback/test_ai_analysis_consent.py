"""A rep who withdrew the ``ai_analysis`` consent is scored locally: nothing of their call goes to
OpenAI (the fake OpenAI server receives no request), and the feedback says why. Granting it again
brings the model back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pitchlab.deps import context_of
from pitchlab.providers.llm import OpenAISkillScorer
from pitchlab.security.vault import KeyRing, Vault
from tests.auth.helpers import bearer
from tests.conftest import TEST_ENCRYPTION_KEYS
from tests.fakes.http_server import serve_asgi
from tests.fakes.openai_server import FakeOpenAI
from tests.practice.helpers import finished_text_call, rep

KEY = "sk-test-platform-openai-key"


@pytest.fixture
async def openai_scored(app) -> AsyncIterator[FakeOpenAI]:
    """The app's scorer is the OpenAI adapter with a platform key, talking to a fake OpenAI."""
    fake = FakeOpenAI(api_key=KEY)
    async with serve_asgi(fake.app()) as base:
        providers = context_of(app).providers
        original = providers.scorer
        providers.scorer = OpenAISkillScorer(
            platform_key=KEY, base_url=f"{base}/v1", model="gpt-4o",
            vault=Vault(KeyRing.parse(TEST_ENCRYPTION_KEYS)), timeout_seconds=10, max_retries=0,
        )
        try:
            yield fake
        finally:
            providers.scorer = original
            fake.released.set()


async def answer_ai_consent(client, tokens: dict, granted: bool) -> None:
    response = await client.post("/api/users/me/consents", headers=bearer(tokens), json={
        "kind": "ai_analysis", "granted": granted, "version": "2026-11"})
    assert response.status_code == 201, response.text


async def scored_call(client, app, tokens: dict) -> dict:
    sid = await finished_text_call(client, app, tokens, "What slows your new reps down today?",
                                   "Could we meet on Thursday at 10am?")
    feedback = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert feedback.status_code == 200, feedback.text
    assert feedback.json()["status"] == "ready"
    return feedback.json()["metrics"]


async def test_a_withdrawn_ai_analysis_consent_keeps_the_call_away_from_openai(
    client, app, owner_url, openai_scored
):
    tokens = await rep(client, app, owner_url)
    await answer_ai_consent(client, tokens, granted=False)

    metrics = await scored_call(client, app, tokens)
    assert metrics["scored_by"] == "local"
    assert metrics["ai_analysis_consent"] == "withdrawn"
    assert openai_scored.requests == []

    await answer_ai_consent(client, tokens, granted=True)
    metrics = await scored_call(client, app, tokens)
    assert metrics["scored_by"] == "gpt-4o"
    assert "ai_analysis_consent" not in metrics
    assert len(openai_scored.requests) == 1


async def test_a_rep_never_asked_is_scored_by_the_model(client, app, owner_url, openai_scored):
    tokens = await rep(client, app, owner_url)
    metrics = await scored_call(client, app, tokens)
    assert metrics["scored_by"] == "gpt-4o"
    assert len(openai_scored.requests) == 1
