"""A report says only what the call showed (issue 13): an empty call, a call cut short after the
greeting and a call in which the prospect raised no objection get no advice about skills the
call gave no occasion for, and no moment about them."""

from __future__ import annotations

from pitchlab.analysis.local_scorer import score_locally
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.analysis.report import SKILLS, is_scored

LABELS = {skill: skill.replace("_", " ") for skill in SKILLS}
# words an improvement about the skill would use
ABOUT = {"objection_handling": ("objection", "concern", "pushback"),
         "value_articulation": ("value", "benefit", "roi", "outcome"),
         "closing": ("next step", "close", "closing", "calendar"),
         "discovery": ("discovery", "question"),
         "rapport": ("rapport", "empathy")}


def _turns(*lines: tuple[str, str]) -> list[dict]:
    turns, clock = [], 0
    for speaker, text in lines:
        length = 400 * len(text.split())
        turns.append({"speaker": speaker, "text": text, "start_ms": clock,
                      "end_ms": clock + length})
        clock += length + 700
    return turns


def _report(turns: list[dict], call_type: str = "discovery") -> dict:
    return score_locally(turns, compute_metrics(turns, call_type=call_type))


def _advice_about(report: dict, skill: str) -> list[str]:
    notes = [*report["improvements"], *(m["why"] + " " + m["try_instead"]
                                        for m in report["moments"] if m["skill"] == skill)]
    return [note for note in notes
            if any(word in note.lower() for word in (LABELS[skill], *ABOUT[skill]))]


def _unobserved(report: dict) -> list[str]:
    return [s for s in SKILLS if not is_scored(report["skill_scores"][s])]


def test_an_empty_call_has_nothing_to_score_and_no_skill_advice():
    report = _report([])
    assert _unobserved(report) == list(SKILLS)
    assert report["moments"] == [] and report["strengths"] == []
    for skill in SKILLS:
        assert _advice_about(report, skill) == []


def test_a_call_cut_short_after_the_greeting_gets_no_invented_advice():
    report = _report(_turns(
        ("prospect", "Northwind Logistics, Dana speaking."),
        ("rep", "Hi Dana, this is Sam from Pitchlab, do you have a minute?"),
        ("prospect", "Sorry, I'm walking into a meeting, call me later."),
    ), call_type="cold_call")
    unobserved = _unobserved(report)
    assert {"value_articulation", "closing"} <= set(unobserved)
    for skill in unobserved:
        assert _advice_about(report, skill) == [], skill
    assert all(m["skill"] not in unobserved for m in report["moments"])


def test_a_call_without_an_objection_says_nothing_about_handling_one():
    report = _report(_turns(
        ("rep", "Hi Priya, thanks for making time. How do you ramp new reps today?"),
        ("prospect", "We pair them with a senior rep for about three months."),
        ("rep", "What does that cost the senior reps in their own numbers?"),
        ("prospect", "They lose maybe ten percent of their selling time."),
        ("rep", "So ten percent of your best people's time goes to ramp. Who else feels that?"),
        ("prospect", "Our VP of Sales, she owns the number."),
        ("rep", "Could we get thirty minutes with her on Thursday at 10 to look at it?"),
        ("prospect", "Yes, Thursday at 10 works, I'll invite her."),
    ))
    assert report["skill_scores"]["objection_handling"]["status"] == "not_observed"
    assert report["skill_scores"]["objection_handling"]["score"] is None
    assert _advice_about(report, "objection_handling") == []
    assert "objection_handling" not in {m["skill"] for m in report["moments"]}
