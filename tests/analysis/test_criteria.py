"""Local scoring of scorecard criteria on hand-written calls."""

from __future__ import annotations

from typing import Any

from pitchlab.analysis.criteria import score_criteria, stem
from pitchlab.scorecards.templates import BANT, CHALLENGER
from tests.analysis.conversations import call

BANT_CALL = call(
    "R: Hi Dana, thanks for taking the time today.",
    "P: Sure, we are looking at tools for the support team.",
    "R: What budget have you set aside for this? Is that budget already in place?",
    "P: About forty thousand, this year.",
    "R: Great. When do you need it live by?  What timeline are you working to?",
    "P: Before the end of next quarter.",
    "R: Okay, I will send over a proposal.",
)


def by_id(scored: list[Any]) -> dict[str, Any]:
    return {c["id"]: c for c in scored}


def test_a_bant_call_scores_budget_and_timeline_with_the_reps_own_questions() -> None:
    scored = by_id(score_criteria(BANT_CALL, list(BANT.criteria)))  # type: ignore[arg-type]

    budget = scored["budget"]
    assert budget["status"] == "scored"
    # two budget questions, each weighing double: 1 + 4
    assert budget["score"] == 5
    assert budget["evidence"] == ["What budget have you set aside for this?",
                                  "Is that budget already in place?"]
    timeline = scored["timeline"]
    assert timeline["status"] == "scored"
    assert timeline["evidence"] == ["When do you need it live by?",
                                    "What timeline are you working to?"]
    assert timeline["score"] == 5
    assert scored["authority"] == {"id": "authority", "name": "Authority", "weight": 25.0,
                                   "score": None, "status": "not_observed", "evidence": []}


def test_evidence_is_verbatim_in_a_rep_turn_and_never_the_prospects() -> None:
    turns = call("P: Our budget is tight, honestly.", "R: Understood.")
    scored = by_id(score_criteria(turns, list(BANT.criteria)))  # type: ignore[arg-type]
    assert scored["budget"]["status"] == "not_observed"

    scored = by_id(score_criteria(BANT_CALL, list(BANT.criteria)))  # type: ignore[arg-type]
    rep_text = [t["text"] for t in BANT_CALL if t["speaker"] == "rep"]
    for criterion in scored.values():
        assert len(criterion["evidence"]) <= 3
        for quote in criterion["evidence"]:
            assert any(quote in text for text in rep_text)


def test_a_statement_weighs_less_than_a_question_for_a_discovery_criterion() -> None:
    asked = call("R: What budget do you have?")
    told = call("R: Our price fits most budgets.")
    criteria = [c for c in BANT.criteria if c["id"] == "budget"]
    assert score_criteria(asked, criteria)[0]["score"] == 3  # type: ignore[arg-type]
    assert score_criteria(told, criteria)[0]["score"] == 2  # type: ignore[arg-type]


def test_challenger_criteria_are_shown_by_statements() -> None:
    turns = call(
        "P: We lose a lot of tickets in the shuffle.",
        "R: What we have seen is that most teams like yours lose a fifth of tickets at handover.",
        "R: You mentioned the handover, so for your team the fix starts there.",
        "R: Let's book thirty minutes on Tuesday with your ops lead.",
    )
    scored = by_id(score_criteria(turns, list(CHALLENGER.criteria)))  # type: ignore[arg-type]
    assert [scored[c]["status"] for c in ("teach", "tailor", "take-control")] == ["scored"] * 3
    assert scored["teach"]["evidence"] == [
        "What we have seen is that most teams like yours lose a fifth of tickets at handover."]


CUSTOM = {
    "id": "security-review", "name": "Security review", "weight": 2,
    "description": "Checks whether the buyer's infosec team must review the vendor.",
    "anchors": {"1": "Never raises security.", "3": "Mentions compliance in passing.",
                "5": "Asks who runs the infosec review and when it happens."},
}


def test_a_custom_criterion_is_matched_on_the_content_words_of_its_text() -> None:
    turns = call(
        "R: Does your security team need to review new vendors?",
        "P: Yes, infosec looks at everything.",
        "R: Who runs the infosec review on your side?",
        "R: Thanks, that is helpful to know.",
    )
    [verdict] = score_criteria(turns, [CUSTOM])
    assert verdict["status"] == "scored"
    assert verdict["weight"] == 2.0
    assert verdict["evidence"] == ["Does your security team need to review new vendors?",
                                   "Who runs the infosec review on your side?"]
    assert verdict["score"] == 3


def test_a_custom_criterion_the_rep_never_touched_is_not_observed() -> None:
    [verdict] = score_criteria(BANT_CALL, [CUSTOM])
    assert (verdict["score"], verdict["status"], verdict["evidence"]) == (
        None, "not_observed", [])


def test_stems_meet_the_forms_of_one_word() -> None:
    assert stem("budgets") == stem("budgeting") == stem("budget")
    assert stem("reviews") == stem("reviewed") == "review"
