"""The OpenAI adapter, through the official SDK, against a local server that speaks the API.
Every outcome is a well-formed feedback that says who scored it."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest

from pitchlab.analysis import rubric
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.providers.llm import OpenAISkillScorer
from pitchlab.security.vault import KeyRing, Vault
from tests.conftest import TEST_ENCRYPTION_KEYS
from tests.fakes.openai_server import INVENTED, serving

KEY = "sk-test-platform-openai-key"
TURNS = [
    {"speaker": "prospect", "text": "Marcus speaking.", "start_ms": 0, "end_ms": 1000},
    {"speaker": "rep", "text": "What slows your new reps down?", "start_ms": 1500, "end_ms": 3500},
    {"speaker": "prospect", "text": "Coaching time.", "start_ms": 4000, "end_ms": 5000},
    {"speaker": "rep", "text": "Can we meet Thursday at 10am?", "start_ms": 6000, "end_ms": 8000},
]
METRICS = compute_metrics(TURNS)
VAULT = Vault(KeyRing.parse(TEST_ENCRYPTION_KEYS))
NOBODY = SimpleNamespace(id=uuid.uuid4(), api_keys=None)


@pytest.fixture
async def fake_openai():
    async with serving(KEY) as fake_and_base:
        yield fake_and_base


def scorer(base_url: str, key: str | None = KEY, timeout: float = 10.0) -> OpenAISkillScorer:
    return OpenAISkillScorer(platform_key=key, base_url=base_url, model="gpt-4o", vault=VAULT,
                             timeout_seconds=timeout, max_retries=2)


def assert_well_formed(result: dict) -> None:
    assert set(result["skill_scores"]) == set(rubric.SKILL_ANCHORS)
    for scored in result["skill_scores"].values():
        assert isinstance(scored["evidence"], list)
        if scored["status"] == "scored":
            assert 1 <= scored["score"] <= 5
        else:
            assert scored == {"score": None, "status": "not_observed", "evidence": []}
    assert result["summary"] and isinstance(result["strengths"], list)


async def test_valid_output_is_used_and_the_request_is_strict(fake_openai):
    fake, base = fake_openai
    scoring = await scorer(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "gpt-4o" and scoring.rubric_version == rubric.RUBRIC_VERSION
    assert_well_formed(scoring.result)
    assert scoring.result["skill_scores"]["discovery"] == {
        "score": 4, "status": "scored", "evidence": ["What slows your new reps down?"]}
    assert json.loads(scoring.raw_output["content"])["summary"]
    [request] = fake.requests
    assert request["temperature"] == 0 and request["model"] == "gpt-4o"
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["strict"] is True
    assert request["messages"][0]["content"] == rubric.SYSTEM_PROMPT
    assert request["response_format"]["json_schema"]["schema"] == rubric.RESPONSE_SCHEMA
    assert scoring.result["moments"] == [{
        "turn_index": 1, "start_ms": 1500, "skill": "discovery", "kind": "strength",
        "quote": "What slows your new reps down?", "why": "An open question about their team.",
        "try_instead": "Follow up on their answer."}]


async def test_the_model_gets_the_call_type_its_bands_and_the_indexed_turns(fake_openai):
    fake, base = fake_openai
    metrics = compute_metrics(TURNS, call_type="closing")
    await scorer(base).score(TURNS, metrics, NOBODY)
    call = json.loads(fake.requests[0]["messages"][-1]["content"])
    assert call["call_type"] == "closing"
    assert call["reference"]["talk_ratio"] == metrics["reference"]["talk_ratio"]
    assert call["turns"][3] == {"index": 3, "speaker": "rep", "start_ms": 6000,
                                "text": "Can we meet Thursday at 10am?"}
    assert [turn["index"] for turn in call["turns"]] == [0, 1, 2, 3]


async def test_invented_evidence_is_dropped(fake_openai):
    fake, base = fake_openai
    fake.script = ["invented"]
    scoring = await scorer(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "gpt-4o"
    for scored in scoring.result["skill_scores"].values():
        assert INVENTED not in scored["evidence"]
        assert scored["evidence"] == ["What slows your new reps down?"]


async def test_malformed_output_falls_back_to_the_local_scorer(fake_openai):
    fake, base = fake_openai
    fake.script = ["malformed"]
    scoring = await scorer(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "local"
    assert scoring.result["fallback_reason"] == "malformed model output"
    assert scoring.raw_output["content"].startswith('{"skill_scores"')  # kept for review
    assert_well_formed(scoring.result)


async def test_a_429_is_retried_and_then_succeeds(fake_openai):
    fake, base = fake_openai
    fake.script = ["rate_limited", "server_error"]
    scoring = await scorer(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "gpt-4o"
    assert len(fake.keys_seen) == 3


async def test_a_timeout_falls_back_to_the_local_scorer(fake_openai):
    fake, base = fake_openai
    fake.script = ["hang", "hang", "hang"]
    scoring = await scorer(base, timeout=0.5).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "local"
    assert scoring.result["fallback_reason"] == "APITimeoutError"
    assert_well_formed(scoring.result)


async def test_the_users_own_key_comes_first_and_no_key_means_local(fake_openai):
    fake, base = fake_openai
    user = SimpleNamespace(id=uuid.uuid4(), api_keys=None)
    user.api_keys = {"openai": VAULT.seal(user.id, "openai", "sk-users-own-key-1234")}
    fake.api_key = "sk-users-own-key-1234"
    assert (await scorer(base).score(TURNS, METRICS, user)).scored_by == "gpt-4o"
    assert fake.keys_seen[-1] == "sk-users-own-key-1234"
    local = await scorer(base, key=None).score(TURNS, METRICS, NOBODY)
    assert local.scored_by == "local" and "fallback_reason" not in local.result


async def test_skills_the_model_did_not_observe_keep_no_score_and_no_evidence(fake_openai):
    fake, base = fake_openai
    fake.script = ["unobserved"]
    scoring = await scorer(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "gpt-4o"
    skills = scoring.result["skill_scores"]
    assert skills["objection_handling"] == {"score": None, "status": "not_observed", "evidence": []}
    # "scored" without a score is no score: not observed, and its quote goes with it
    assert skills["closing"] == {"score": None, "status": "not_observed", "evidence": []}
    assert skills["discovery"]["status"] == "scored" and skills["discovery"]["score"] == 4
    schema = fake.requests[0]["response_format"]["json_schema"]["schema"]
    skill_schema = schema["properties"]["skill_scores"]["properties"]["discovery"]
    assert None in skill_schema["properties"]["score"]["enum"]
    assert skill_schema["properties"]["status"]["enum"] == ["scored", "not_observed"]


@pytest.mark.parametrize("turns", [
    [],
    [{"speaker": "prospect", "text": "Marcus speaking.", "start_ms": 0, "end_ms": 1000}],
    [*TURNS[:1], {"speaker": "rep", "text": " ... ", "start_ms": 1500, "end_ms": 1900}],
])
async def test_a_call_where_the_rep_said_nothing_never_reaches_the_model(fake_openai, turns):
    fake, base = fake_openai
    scoring = await scorer(base).score(turns, compute_metrics(turns, mode="text"), NOBODY)
    assert fake.requests == [] and fake.keys_seen == []
    assert scoring.scored_by == "local" and scoring.raw_output is None
    result = scoring.result
    assert all(s == {"score": None, "status": "not_observed", "evidence": []}
               for s in result["skill_scores"].values())
    assert result["strengths"] == [] and result["summary"].startswith("Nothing to score")


async def test_estimated_metrics_are_not_given_to_the_model_as_facts(fake_openai):
    fake, base = fake_openai
    await scorer(base).score(TURNS, compute_metrics(TURNS, 8.0, mode="text"), NOBODY)
    call = json.loads(fake.requests[0]["messages"][-1]["content"])
    assert call["mode"] == "text"
    assert {"pace_wpm", "patience_seconds", "talk_ratio"}.isdisjoint(call["metrics"])
    # nor are the bands of what was estimated (a verdict on a guess)
    assert {"pace_wpm", "patience_seconds", "talk_ratio"}.isdisjoint(call["reference"])
    assert "questions_per_10_minutes" in call["reference"]
    assert call["metrics"]["questions_asked"] == 2 and call["metrics"]["duration_seconds"] == 8.0
    await scorer(base).score(TURNS, METRICS, NOBODY)  # measured times: all of them
    measured_call = json.loads(fake.requests[1]["messages"][-1]["content"])
    assert {"pace_wpm", "patience_seconds", "talk_ratio"} <= set(measured_call["metrics"])


CRITERIA = [
    {"id": "pain", "name": "Pain", "description": "Finds what slows the team down", "weight": 2,
     "anchors": {"1": "no questions", "3": "asks about problems", "5": "quantifies the pain"}},
    {"id": "next_step", "name": "Next step", "description": "Books a meeting with a date",
     "weight": 1, "anchors": {"1": "none", "3": "suggests one", "5": "a date and a time"}},
]


async def test_a_scorecard_reaches_the_model_and_only_verified_criteria_come_back(fake_openai):
    fake, base = fake_openai
    scoring = await scorer(base).score(TURNS, METRICS, NOBODY, CRITERIA)
    [request] = fake.requests
    # the criteria are in the call and the strict schema demands exactly their ids
    call = json.loads(request["messages"][-1]["content"])
    assert [c["id"] for c in call["scorecard_criteria"]] == ["pain", "next_step"]
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema == rubric.response_schema(CRITERIA)
    assert schema["properties"]["criteria_scores"]["required"] == ["pain", "next_step"]
    # the model's score for "pain", its invented quote dropped; the id the card lacks dropped;
    # "next_step", which the model left out, scored by the local rules
    assert scoring.criteria is not None
    by_id = {c["id"]: c for c in scoring.criteria}
    assert list(by_id) == ["pain", "next_step"]
    assert by_id["pain"] == {"id": "pain", "name": "Pain", "weight": 2.0, "score": 3,
                             "status": "scored", "evidence": ["Can we meet Thursday at 10am?"]}
    local = await scorer(base, key=None).score(TURNS, METRICS, NOBODY, CRITERIA)
    assert local.scored_by == "local" and local.criteria is not None
    assert by_id["next_step"] == local.criteria[1]
