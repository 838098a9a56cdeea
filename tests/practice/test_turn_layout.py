"""The turn layout on the call's clock (practice/turns.py), as pure functions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pitchlab.practice.turns import add_turn, apply_correction, fit_to_call, spoken_ms

WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def said(words: int) -> str:
    return " ".join((WORDS * 3)[:words])


def test_with_time_to_spare_each_turn_keeps_its_estimated_length():
    turns = add_turn([], "prospect", said(5), 0)  # the opening line, 2 s
    turns = add_turn(turns, "rep", said(10), 10_000)  # sent 10 s in: 4 s of words
    turns = add_turn(turns, "prospect", said(5), 10_000)
    assert [(t["start_ms"], t["end_ms"]) for t in turns] == [
        (0, 2_000), (6_000, 10_000), (10_000, 12_000)]


def test_turns_sent_faster_than_they_could_be_said_share_the_time():
    turns = add_turn([], "prospect", said(5), 0)  # estimated 2 s
    turns = add_turn(turns, "rep", said(5), 1_000)  # estimated 2 s, sent 1 s in
    # the two estimates share the second between them, in proportion
    assert [(t["start_ms"], t["end_ms"]) for t in turns] == [(0, 500), (500, 1_000)]


def test_a_reply_cut_short_by_the_next_prospect_turn_ends_there():
    turns = add_turn([], "prospect", said(10), 0)  # estimated 4 s
    turns = add_turn(turns, "prospect", said(5), 1_500)
    assert [(t["start_ms"], t["end_ms"]) for t in turns] == [(0, 1_500), (1_500, 3_500)]


def test_a_reps_arrival_is_kept_when_the_rep_goes_on():
    turns = add_turn([], "rep", said(10), 5_000)  # 1 s..5 s
    turns = add_turn(turns, "rep", said(10), 6_000)  # 4 s of words in 1 s: starts at 5 s
    assert [(t["start_ms"], t["end_ms"]) for t in turns] == [(1_000, 5_000), (5_000, 6_000)]


def test_the_end_of_the_call_cuts_what_was_still_being_said():
    turns = add_turn(add_turn([], "rep", said(5), 3_000), "prospect", said(10), 3_000)
    assert [(t["start_ms"], t["end_ms"]) for t in fit_to_call(turns, 4_000)] == [
        (1_000, 3_000), (3_000, 4_000)]
    assert fit_to_call(turns, 60_000) == turns
    # ended as of a moment before the last exchange was stamped: the tail is cut, not scaled
    assert [(t["start_ms"], t["end_ms"]) for t in fit_to_call(turns, 2_990)] == [
        (1_000, 2_990), (2_990, 2_990)]


def test_a_timeline_that_ran_ahead_of_the_clock_is_scaled_into_the_call():
    legacy = [{"speaker": s, "text": "x", "start_ms": a, "end_ms": b}
              for s, a, b in [("rep", 0, 20_000), ("prospect", 20_800, 40_000),
                              ("rep", 40_000, 58_000)]]
    fitted = fit_to_call(legacy, 7_000)
    times = [ms for t in fitted for ms in (t["start_ms"], t["end_ms"])]
    assert times == sorted(times) and times[-1] == 7_000 and times[0] == 0


def test_a_correction_ends_before_the_turn_that_interrupted_it():
    turns = add_turn([], "prospect", said(3), 0)
    turns = add_turn(turns, "rep", said(2), 2_000)
    fixed = apply_correction(turns, said(30))
    assert fixed[0]["text"] == said(30) and fixed[0]["end_ms"] <= fixed[1]["start_ms"]


EVENTS = st.lists(st.tuples(st.sampled_from(["rep", "prospect"]), st.integers(0, 40),
                            st.integers(0, 8_000)), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(EVENTS, st.integers(0, 5_000))
def test_any_call_fits_its_clock(events, tail):
    turns, now, arrivals = [], 0, []
    for speaker, words, gap in events:
        now += gap
        turns = add_turn(turns, speaker, said(words), now)
        arrivals.append(now)
        times = [ms for t in turns for ms in (t["start_ms"], t["end_ms"])]
        assert times == sorted(times) and times[0] >= 0  # in order, never overlapping
        # only the last turn may still run on past now (a prospect still speaking)
        assert all(t["end_ms"] <= now for t in turns[:-1])
        assert all(t["end_ms"] - t["start_ms"] <= spoken_ms(t["text"]) for t in turns)
    for turn, arrived in zip(turns, arrivals, strict=True):
        # the rep's turns end when they arrived, the prospect's start then
        assert turn["end_ms" if turn["speaker"] == "rep" else "start_ms"] == arrived
    duration = now + tail
    fitted = fit_to_call(turns, duration)
    times = [ms for t in fitted for ms in (t["start_ms"], t["end_ms"])]
    assert times == sorted(times) and times[-1] <= duration
    assert fitted[:-1] == turns[:-1]  # only a turn still running is cut
