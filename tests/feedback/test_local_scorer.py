"""The local scorer's honesty rules, as pure functions (FEEDBACK.md: a skill the call gave no
occasion for is "not observed", never a low score)."""

from __future__ import annotations

from pitchlab.analysis.local_scorer import (
    SKILLS,
    coaching_notes,
    not_observed,
    score_locally,
    summarize,
)
from pitchlab.analysis.metrics import compute_metrics

NOT_OBSERVED = {"score": None, "status": "not_observed", "evidence": []}


def turns(*said: tuple[str, str], each_ms: int = 3_000) -> list[dict]:
    return [{"speaker": who, "text": text, "start_ms": i * each_ms, "end_ms": (i + 1) * each_ms}
            for i, (who, text) in enumerate(said)]


def scored(call: list[dict], mode: str | None = None) -> dict:
    return score_locally(call, compute_metrics(call, mode=mode))


def test_no_words_from_the_rep_is_nothing_to_score():
    for call in ([], turns(("prospect", "Marcus speaking.")), turns(("rep", "..."))):
        for mode, verb in ((None, "say"), ("voice", "say"), ("text", "type")):
            result = scored(call, mode)
            assert result["skill_scores"] == dict.fromkeys(SKILLS, NOT_OBSERVED)
            assert result["strengths"] == [] and len(result["improvements"]) == 1
            assert result["summary"].startswith(f"Nothing to score: you did not {verb} anything")


def test_no_objection_no_offer_means_neither_is_observed():
    call = turns(("prospect", "Marcus speaking."), ("rep", "What slows your new reps down?"),
                 ("prospect", "Ramp time, mostly."), ("rep", "How do you coach them today?"))
    skills = scored(call)["skill_scores"]
    assert skills["objection_handling"] == NOT_OBSERVED
    assert skills["value_articulation"] == NOT_OBSERVED
    assert skills["discovery"]["status"] == "scored" and skills["closing"]["status"] == "scored"


def test_an_objection_left_unanswered_scores_low_and_a_bare_pitch_scores_one():
    call = turns(("rep", "Our platform records every call."),
                 ("prospect", "We tried a tool like that and nobody used it."),
                 ("rep", "It has great features."))
    skills = scored(call)["skill_scores"]
    assert skills["objection_handling"] == {"score": 1, "status": "scored", "evidence": []}
    assert skills["value_articulation"]["score"] == 1
    assert skills["value_articulation"]["evidence"] == ["Our platform records every call.",
                                                        "It has great features."]


def test_rapport_needs_a_prospect():
    skills = scored(turns(("rep", "Hi, thanks for your time. What slows your reps down?")))
    assert skills["skill_scores"]["rapport"] == NOT_OBSERVED


def test_the_summary_and_notes_leave_unscored_skills_and_unmeasured_numbers_out():
    call = turns(("prospect", "Hello?"), ("rep", "Hi, what slows your reps down?"),
                 ("prospect", "Ramp time."), each_ms=200)  # a rep "speaking" 300 words a minute
    skills = {skill: not_observed() for skill in SKILLS}
    skills["discovery"] = {"score": 2, "status": "scored", "evidence": []}
    for mode in ("text", "voice"):
        metrics = compute_metrics(call, mode=mode)
        good, grow = coaching_notes(metrics, skills)
        prose = " ".join([summarize(metrics, skills), *good, *grow])
        assert "words a minute" not in prose and "pause" not in prose and "instantly" not in prose
        assert "objection" not in " ".join(good + grow)
        assert "Not observed in this call: objection handling, rapport" in prose
        assert "1 question " in prose or "1 question," in prose or "1 question;" in prose
    # where the times were measured, the same pace is worth a note
    measured = compute_metrics(call)
    assert any("words a minute" in note for note in coaching_notes(measured, skills)[1])
    assert "words a minute" in summarize(measured, skills)
