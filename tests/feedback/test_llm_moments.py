"""The model's moments and evidence, checked against the call as stored: a moment is kept only
where the rep turn it names says its quote (kept as that turn stores it, double spaces and line
breaks included), and only for a skill that was scored."""

from __future__ import annotations

import pytest

from pitchlab.analysis.metrics import compute_metrics
from tests.fakes.openai_server import INVENTED, serving
from tests.feedback.test_openai_scorer import KEY, NOBODY, scorer

STORED = "Could we  book\nThursday at 10am with your CFO?"  # as the transcriber left it
SAID = "Could we book Thursday at 10am with your CFO?"  # as a model quotes it
TURNS = [
    {"speaker": "prospect", "text": "Marcus speaking. Budgets are frozen.", "start_ms": 0,
     "end_ms": 1000},
    {"speaker": "rep", "text": "What slows your new reps down?", "start_ms": 1500, "end_ms": 3500},
    {"speaker": "prospect", "text": "Coaching time.", "start_ms": 4000, "end_ms": 5000},
    {"speaker": "rep", "text": STORED, "start_ms": 6000, "end_ms": 8000},
]
METRICS = compute_metrics(TURNS)


def moment(turn_index: int, quote: str, skill: str = "discovery",
           kind: str = "improvement") -> dict:
    return {"turn_index": turn_index, "skill": skill, "kind": kind, "quote": quote,
            "why": " It matters. ", "try_instead": "Ask what that costs them."}


@pytest.fixture
async def fake_openai():
    async with serving(KEY) as fake_and_base:
        yield fake_and_base


async def moments_kept(fake_openai, moments: list[dict], script: str = "valid") -> list[dict]:
    fake, base = fake_openai
    fake.moments, fake.script = moments, [script]
    scoring = await scorer(base).score(TURNS, METRICS, NOBODY)
    assert scoring.scored_by == "gpt-4o"
    return scoring.result["moments"]


async def test_a_moment_verbatim_in_its_rep_turn_is_kept_with_that_turns_start(fake_openai):
    kept = await moments_kept(fake_openai, [moment(1, "What slows your new reps down?")])
    assert kept == [{"turn_index": 1, "start_ms": 1500, "skill": "discovery",
                     "kind": "improvement", "quote": "What slows your new reps down?",
                     "why": "It matters.", "try_instead": "Ask what that costs them."}]


async def test_a_quote_with_other_whitespace_is_kept_as_the_turn_stores_it(fake_openai):
    [kept] = await moments_kept(fake_openai, [moment(3, SAID, skill="closing", kind="strength")])
    assert kept["quote"] == STORED and kept["quote"] in TURNS[3]["text"]
    assert kept["start_ms"] == 6000


@pytest.mark.parametrize("wrong", [
    moment(1, INVENTED),  # nobody said it
    moment(1, SAID),  # said, but in another turn than the one named
    moment(0, "Budgets are frozen."),  # the prospect's turn
    moment(4, "What slows your new reps down?"),  # no such turn
    moment(-1, SAID),  # no such turn either (not "the last one")
    moment(1, ""),  # nothing quoted
])
async def test_a_moment_its_turn_does_not_say_is_dropped(fake_openai, wrong):
    kept = await moments_kept(fake_openai, [wrong, moment(1, "What slows your new reps")])
    assert [m["quote"] for m in kept] == ["What slows your new reps"]


async def test_a_moment_of_a_skill_not_observed_is_dropped(fake_openai):
    # "unobserved": objection handling not observed, closing scored without a score
    kept = await moments_kept(fake_openai, [
        moment(1, "What slows your new reps down?", skill="objection_handling"),
        moment(3, SAID, skill="closing"),
        moment(1, "What slows your new reps down?", skill="discovery"),
    ], script="unobserved")
    assert [m["skill"] for m in kept] == ["discovery"]


async def test_repeated_and_surplus_moments_are_not_kept(fake_openai):
    same = moment(1, "What slows your new reps down?")
    kept = await moments_kept(fake_openai, [same, same, *(
        moment(1, "What slows", kind=kind, skill=skill)
        for kind in ("strength", "improvement") for skill in ("discovery", "rapport", "closing"))])
    assert len(kept) == 5
    assert kept[0] == {**same, "start_ms": 1500, "why": "It matters."}
    assert kept[1]["quote"] == "What slows"


async def test_evidence_with_other_whitespace_is_kept_as_stored(fake_openai):
    fake, base = fake_openai
    fake.moments, fake.script = [], ["normalised"]
    stored = "Budget aside,  what slows\nyour reps?"
    call_turns = [TURNS[0], {**TURNS[1], "text": stored}, *TURNS[2:]]
    scoring = await scorer(base).score(call_turns, compute_metrics(call_turns), NOBODY)
    sent = fake.requests[0]["messages"][-1]["content"]
    assert "Budget aside,  what slows\\nyour reps?" in sent  # the model saw the turn as stored
    for skill in scoring.result["skill_scores"].values():
        assert skill["evidence"] == [stored]
