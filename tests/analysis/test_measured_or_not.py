"""Which numbers a call measured, which it estimated and which it could not have (issue 9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pitchlab.analysis.metrics import FROM_TURN_LENGTHS, compute_metrics, measured
from tests.analysis.test_metrics import CALL, calls, turn

CLOCK_MADE = {*FROM_TURN_LENGTHS, "interactivity"}


def test_timed_turns_are_measured():
    m = compute_metrics(CALL)
    assert m["mode"] is None and m["estimated"] == [] and m["not_measured"] == []
    assert all(measured(m, name) for name in CLOCK_MADE)


def test_a_voice_calls_turn_lengths_are_estimates_with_the_same_values():
    timed, voice = compute_metrics(CALL), compute_metrics(CALL, mode="voice")
    assert voice["estimated"] == list(FROM_TURN_LENGTHS) and voice["not_measured"] == []
    for name in CLOCK_MADE:
        assert voice[name] == timed[name]
        assert measured(voice, name) is (name == "interactivity")


def test_a_typed_call_has_no_pace_and_no_pause_and_estimates_the_rest():
    m = compute_metrics(CALL, mode="text")
    assert m["pace_wpm"] == 0 and m["patience_seconds"] == 0
    assert {"pace_wpm", "patience_seconds"} <= set(m["not_measured"])
    assert set(m["estimated"]) == CLOCK_MADE - {"pace_wpm", "patience_seconds"}
    # what is counted in the words stays measured
    assert m["word_count"] == {"rep": 23, "prospect": 17} and m["questions_asked"] == 2
    assert all(measured(m, name) for name in ("word_count", "questions_asked", "filler_words"))


@pytest.mark.parametrize("mode", [None, "voice", "text"])
def test_a_call_without_the_reps_words_measures_nothing_of_the_rep(mode):
    prospect_only = [turn("prospect", "Marcus speaking. Hello?", 0, 2_000)]
    for turns in ([], prospect_only):
        m = compute_metrics(turns, 5.0, mode=mode)
        assert {"pace_wpm", "patience_seconds", "filler_words.per_100_words",
                "sentiment.rep"} <= set(m["not_measured"])
        assert m["pace_wpm"] == 0 and m["word_count"]["rep"] == 0
    assert "talk_ratio" in compute_metrics([], 5.0, mode=mode)["not_measured"]
    assert "talk_ratio" not in compute_metrics(prospect_only, 5.0, mode=mode)["not_measured"]


def test_nothing_counts_after_the_call_ended():
    m = compute_metrics(CALL, 12.0)  # the call ended 12 s in, during the prospect's story
    assert m["talk_time_seconds"] == {"rep": 6.0, "prospect": 3.5}  # 6; 2 + 1.5
    assert m["longest_customer_story_seconds"] == 2.0  # the story was cut to 1.5 s
    assert m["word_count"]["prospect"] == 17  # the words themselves were all counted


@settings(max_examples=150, deadline=None)
@given(calls(), st.integers(0, 200_000), st.sampled_from([None, "voice", "text"]))
def test_talk_never_outlasts_the_call_and_clock_numbers_are_never_passed_off(turns, ms, mode):
    m = compute_metrics(turns, ms / 1000, mode=mode)
    talk = m["talk_time_seconds"]
    assert talk["rep"] + talk["prospect"] <= m["duration_seconds"] + 1e-9
    assert m["longest_monologue_seconds"] <= m["duration_seconds"] + 1e-9
    if mode == "text":
        assert all(not measured(m, name) for name in CLOCK_MADE)
    assert set(m["estimated"]).isdisjoint({"word_count", "questions_asked", "filler_words"})
