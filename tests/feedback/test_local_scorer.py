"""The local scorer's report: honest (a skill the call gave no occasion for is "not observed",
never a low score or advice; unmeasured numbers are never commented on), verbatim (every
evidence quote and moment is a substring of one stored turn, through split turns, double spaces
and line breaks) and deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pitchlab.analysis.local_scorer import (
    RUBRIC_VERSION,
    nothing_to_score,
    rep_said_something,
    rep_share,
    score_locally,
)
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.analysis.report import SKILLS
from tests.analysis.conversations import call

NOT_OBSERVED = {"score": None, "status": "not_observed", "evidence": []}
PAIRS = Path(__file__).resolve().parents[1] / "data" / "feedback" / "pairs.jsonl"


def scored(turns: list[dict], mode: str | None = None) -> dict:
    return dict(score_locally(turns, compute_metrics(turns, mode=mode)))


def prose(report: dict) -> str:
    return " ".join([report["summary"], *report["strengths"], *report["improvements"],
                     *(m["why"] + " " + m["try_instead"] for m in report["moments"])]).lower()


def dev_calls() -> list[list[dict]]:
    rows = [json.loads(line) for line in PAIRS.read_text().splitlines() if line.strip()]
    return [row[side]["turns"] for row in rows for side in ("better", "worse")]


A_CALL = call(
    "R: hi Marcus, it's Jenna from Routewise. how are your drivers' routes planned today",
    "P: our dispatcher does it by hand every morning, and trucks leave late",
    "R: by hand every morning. what does a late truck cost you",
    "P: about forty grand in overtime last quarter, and we lost a restaurant group",
    "R: I understand, but our platform is best in class with great ROI",
    "P: honestly it sounds expensive, we already have a spreadsheet",
    "R: so next steps, let's touch base at some point",
    "P: sure, whatever",
)


def test_the_api_the_rest_of_pitchlab_uses():
    assert RUBRIC_VERSION == "local-2026-11-v3"
    assert rep_said_something(A_CALL) and not rep_said_something(A_CALL[1::2])
    assert 0 < rep_share(compute_metrics(A_CALL)) < 1
    assert nothing_to_score(compute_metrics([]))["skill_scores"] == dict.fromkeys(SKILLS,
                                                                                  NOT_OBSERVED)


def test_no_words_from_the_rep_is_nothing_to_score():
    for turns in ([], call("P: Marcus speaking."), call("R: ...")):
        for mode, verb in ((None, "say"), ("voice", "say"), ("text", "type")):
            result = scored(turns, mode)
            assert result["skill_scores"] == dict.fromkeys(SKILLS, NOT_OBSERVED)
            assert result["strengths"] == [] and len(result["improvements"]) == 1
            assert result["moments"] == []
            assert result["summary"].startswith(f"Nothing to score: you did not {verb} anything")


def test_questions_only_leave_objections_and_value_unobserved_and_unmentioned():
    turns = call("P: Marcus speaking.", "R: what slows your new reps down",
                 "P: ramp time, mostly.", "R: how do you coach them today")
    result = scored(turns)
    skills = result["skill_scores"]
    assert skills["objection_handling"] == NOT_OBSERVED
    assert skills["value_articulation"] == NOT_OBSERVED
    assert skills["discovery"]["status"] == "scored" and skills["closing"]["status"] == "scored"
    assert "Not observed in this call: objection handling, value articulation" in result["summary"]
    notes = " ".join(result["strengths"] + result["improvements"]).lower()
    assert "objection" not in notes and "value" not in notes
    assert all(m["skill"] not in ("objection_handling", "value_articulation")
               for m in result["moments"])


def test_a_call_that_ended_in_the_opening_gets_no_invented_advice():
    result = scored(call("R: hi, this is Sam from Shiftly, we make scheduling easy for clinics. "
                         "do you have a minute", "P: no. not interested."))
    assert result["skill_scores"] == dict.fromkeys(SKILLS, NOT_OBSERVED)
    assert result["strengths"] == [] and result["improvements"] == []
    assert result["moments"] == []


def test_unmeasured_and_estimated_numbers_are_never_commented_on():
    turns = call("P: Hello?", "R: hi, what slows your reps down", "P: ramp time.",
                 "R: how do you coach them today", "P: we don't, really.")
    for mode in ("text", "voice"):
        text = prose(scored(turns, mode))
        assert "words a minute" not in text and "pause" not in text
        assert "of the talk time" not in text  # the talk time of a practice call is estimated
    fast = [{**t, "end_ms": t["start_ms"] + 800} for t in turns]  # measured, 450 wpm
    assert "words a minute" in prose(scored(fast))


def test_moments_come_from_what_happened_in_call_order():
    moments = scored(A_CALL)["moments"]
    assert 1 <= len(moments) <= 6
    assert [m["turn_index"] for m in moments] == sorted(m["turn_index"] for m in moments)
    kinds = {(m["skill"], m["kind"]) for m in moments}
    assert ("objection_handling", "improvement") in kinds
    assert ("closing", "improvement") in kinds
    objection = next(m for m in moments if m["skill"] == "objection_handling")
    assert "expensive" in objection["why"] or "spreadsheet" in objection["why"]
    for m in moments:
        assert A_CALL[m["turn_index"]]["start_ms"] == m["start_ms"]
        assert A_CALL[m["turn_index"]]["speaker"] == "rep"


def _assert_verbatim(turns: list[dict], report: dict) -> None:
    rep_texts = [t["text"] for t in turns if t["speaker"] == "rep"]
    for skill in report["skill_scores"].values():
        for quote in skill["evidence"]:
            assert any(quote in text for text in rep_texts), quote
    for m in report["moments"]:
        assert m["quote"] and m["quote"] in turns[m["turn_index"]]["text"], m


def test_every_quote_is_verbatim_in_its_turn_on_the_development_calls():
    for turns in dev_calls():
        _assert_verbatim(turns, scored(turns))


@pytest.mark.parametrize("mess", ["double spaces", "line breaks", "split turns"])
def test_quotes_stay_verbatim_through_messy_transcripts(mess: str):
    turns = [dict(t) for t in A_CALL]
    if mess == "double spaces":
        turns = [{**t, "text": t["text"].replace(" ", "  ", 3)} for t in turns]
    elif mess == "line breaks":
        turns = [{**t, "text": t["text"].replace(". ", ".\n", 1).replace(", ", ",\n", 1)}
                 for t in turns]
    else:  # speech-to-text split each rep turn at its first comma
        split: list[dict] = []
        for t in turns:
            head, comma, tail = t["text"].partition(", ")
            if t["speaker"] == "rep" and comma:
                middle = (t["start_ms"] + t["end_ms"]) // 2
                split += [{**t, "text": head + ",", "end_ms": middle},
                          {**t, "text": tail, "start_ms": middle}]
            else:
                split.append(t)
        turns = split
    report = scored(turns)
    _assert_verbatim(turns, report)
    assert report["moments"]


def test_the_same_call_twice_gives_the_same_report():
    for turns in [A_CALL, *dev_calls()[:10]]:
        assert scored(turns) == scored([dict(t) for t in turns])
