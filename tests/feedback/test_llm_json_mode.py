"""Any OpenAI-compatible server: one with strict structured output gets a strict JSON schema;
one without (llama.cpp, vLLM builds) refuses it with a 400 and is asked again in JSON mode, with
the schema in the prompt, once per scorer: later calls go straight to JSON mode."""

from __future__ import annotations

import json
import logging

import pytest

from pitchlab.analysis import rubric
from pitchlab.config import Settings
from pitchlab.providers import build_scorer
from tests.fakes.openai_server import serving
from tests.feedback.test_openai_scorer import (
    KEY,
    METRICS,
    NOBODY,
    TURNS,
    VAULT,
    assert_well_formed,
)
from tests.feedback.test_openai_scorer import scorer as scorer_at


@pytest.fixture
async def fake_openai():
    async with serving(KEY) as fake_and_base:
        yield fake_and_base


def _schema_of(request: dict) -> str:
    return request["response_format"]["type"]


def _turns_in_prompt(request: dict) -> list[dict]:
    return json.loads(request["messages"][-1]["content"])["turns"]


async def test_a_server_with_strict_schemas_is_asked_for_one_only(fake_openai):
    fake, base = fake_openai
    scoring = await scorer_at(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "gpt-4o"
    assert [_schema_of(r) for r in fake.requests] == ["json_schema"]
    assert scoring.raw_output["response_format"] == "json_schema"


async def test_a_server_refusing_strict_schemas_is_asked_in_json_mode_and_remembered(
    fake_openai, caplog
):
    fake, base = fake_openai
    fake.refuse_json_schema = True
    scorer = scorer_at(base)
    with caplog.at_level(logging.WARNING, "pitchlab.providers.llm"):
        first = await scorer.score(TURNS, METRICS, NOBODY)
    assert first.scored_by == "gpt-4o" and "fallback_reason" not in first.result
    assert_well_formed(first.result)
    assert first.result["skill_scores"]["discovery"]["evidence"] == [
        "What slows your new reps down?"]
    assert [m["turn_index"] for m in first.result["moments"]] == [1]
    assert first.raw_output["response_format"] == "json_object"
    assert "JSON mode" in caplog.text
    refused, retried = fake.requests
    assert _schema_of(refused) == "json_schema"
    assert retried["response_format"] == {"type": "json_object"}
    # JSON mode has no schema of its own: the prompt carries it, and the turns keep their indices
    system = retried["messages"][0]["content"]
    assert system == rubric.json_mode_prompt()
    assert json.dumps(rubric.RESPONSE_SCHEMA, separators=(",", ":")) in system
    assert [t["index"] for t in _turns_in_prompt(retried)] == [0, 1, 2, 3]

    await scorer.score(TURNS, METRICS, NOBODY)  # the same scorer: no second refusal
    assert [_schema_of(r) for r in fake.requests] == ["json_schema", "json_object", "json_object"]


async def test_json_mode_answers_are_held_to_the_same_schema(fake_openai):
    fake, base = fake_openai
    fake.refuse_json_schema = True
    fake.script = ["malformed"]
    scoring = await scorer_at(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "local"
    assert scoring.result["fallback_reason"] == "malformed model output"


async def test_strict_only_never_falls_back_to_json_mode(fake_openai):
    fake, base = fake_openai
    fake.refuse_json_schema = True
    scorer = scorer_at(base)
    scorer.response_format = "json_schema"
    scoring = await scorer.score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "local"
    assert scoring.result["fallback_reason"] == "BadRequestError"
    assert [_schema_of(r) for r in fake.requests] == ["json_schema"]


async def test_other_bad_requests_are_not_mistaken_for_a_missing_schema(fake_openai):
    fake, base = fake_openai
    fake.api_key = "sk-another-key"  # 401: not a refusal of the schema
    scoring = await scorer_at(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "local" and scoring.result["fallback_reason"] == (
        "AuthenticationError")
    assert fake.requests == []


async def test_json_object_setting_goes_straight_to_json_mode(fake_openai):
    fake, base = fake_openai
    settings = Settings(openai_api_key=KEY, openai_base_url=base,
                        openai_model="llama3.1", openai_response_format="json_object")
    scoring = await build_scorer(settings, VAULT).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "llama3.1"
    [request] = fake.requests
    assert request["response_format"] == {"type": "json_object"}
    assert request["model"] == "llama3.1"
