"""The analytics over hand-built transcripts whose every number is known, and their invariants."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pitchlab.analysis.fillers import count_fillers
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.analysis.questions import is_question


def turn(speaker, text, start, end):
    return {"speaker": speaker, "text": text, "start_ms": start, "end_ms": end}


CALL = [
    turn("prospect", "Hello, this is Marcus.", 0, 2_000),
    turn("rep", "Hi Marcus. Um, what does ramp look like for new reps?", 3_000, 9_000),
    turn("prospect", "It takes about six months. That is too slow.", 10_500, 16_500),
    turn("rep", "I understand. So, how do managers coach today", 17_000, 21_000),
    turn("rep", "We basically record calls.", 21_000, 24_000),
    turn("prospect", "Great, that sounds useful.", 24_500, 27_500),
]


def test_every_metric_of_a_known_call():
    m = compute_metrics(CALL)
    assert m["duration_seconds"] == 27.5
    assert m["talk_time_seconds"] == {"rep": 13.0, "prospect": 11.0}
    assert m["talk_ratio"] == round(13 / 24, 4)
    # rep words: 11 + 8 + 4 = 23; prospect: 4 + 9 + 4 = 17
    assert m["word_count"] == {"rep": 23, "prospect": 17}
    assert m["pace_wpm"] == round(23 / (13 / 60), 1)
    # "look like" and "So," opening a sentence are not fillers (FEEDBACK.md); "Um" and
    # "basically" are
    assert m["filler_words"] == {"count": 2, "per_100_words": round(2 / 23 * 100, 2),
                                 "by_word": {"basically": 1, "um": 1}}
    # the rep's last two turns are one 7-second monologue
    assert m["longest_monologue_seconds"] == 7.0
    assert m["longest_customer_story_seconds"] == 6.0
    # "what does ramp..." (with ?) and "how do managers coach today" (without)
    assert m["questions_asked"] == 2
    # prospect -> rep -> prospect -> rep -> prospect: 4 switches in 27.5 s
    assert m["interactivity"] == round(4 / (27.5 / 60), 2)
    # pauses before the rep answers: 1.0 s and 0.5 s
    assert m["patience_seconds"] == 0.75
    assert -1 <= m["sentiment"]["rep"] <= 1
    assert m["sentiment"]["prospect_trend"] > 0  # "too slow" early, "great, useful" late
    assert m["reference"]["talk_ratio"]["target"] == 0.43


def test_an_empty_call_has_zeros_not_errors():
    m = compute_metrics([])
    assert m["talk_ratio"] == 0 and m["pace_wpm"] == 0 and m["questions_asked"] == 0
    assert m["filler_words"]["count"] == 0


@pytest.mark.parametrize(("text", "expected"), [
    ("I like it a lot.", {}),
    ("It was, like, really hard.", {"like": 1}),
    ("We would like to see it.", {}),
    ("It looks like a fit.", {}),
    ("It's a kind of product we need.", {}),
    ("It's kind of expensive.", {"kind of": 1}),
    ("That sort of thing.", {}),
    ("We sort of tried.", {"sort of": 1}),
    ("So that we can grow.", {}),
    ("So, tell me more.", {}),  # "So" opening a sentence is not counted
    ("We grew, so we hired.", {}),
    ("Do you know the answer?", {}),
    ("It's fast, you know, really fast.", {"you know": 1}),
    ("You know that we ship daily.", {}),
    ("I mean it.", {}),
    ("I mean, we could try.", {"i mean": 1}),
    ("Ummm, hmm, uh, er, ah.", {"um": 1, "hmm": 1, "uh": 1, "er": 1, "ah": 1}),
    ("Actually it literally basically works.", {"literally": 1, "basically": 1}),  # contrastive
])
def test_filler_context_rules(text, expected):
    assert dict(count_fillers(text)) == expected


@pytest.mark.parametrize(("sentence", "expected"), [
    ("What does your process look like?", True),
    ("what does your process look like", True),
    ("How about Thursday", True),
    ("Do you have budget", True),
    ("Could we meet next week", True),
    ("What a great quarter.", False),
    ("How nice.", False),
    ("We do have budget.", False),
    ("So that's forty reps, is that right?", True),
    ("Tell me more.", True),  # an information-seeking imperative
])
def test_questions_with_and_without_question_marks(sentence, expected):
    assert is_question(sentence) is expected


SENTENCE = st.sampled_from([
    "What does onboarding look like?", "Um, we basically record calls.", "I like it.",
    "So, how do you coach", "That makes sense.", "It's kind of slow.", "Great, thanks!",
    "We would like to see results.", "Is that a priority?", "You know, it is hard.",
])


@st.composite
def calls(draw):
    turns, clock = [], 0
    for _ in range(draw(st.integers(1, 8))):
        speaker = draw(st.sampled_from(["rep", "prospect"]))
        sentences = draw(st.lists(SENTENCE, min_size=1, max_size=4))
        clock += draw(st.integers(0, 3000))
        length = draw(st.integers(200, 20_000))
        turns.append(turn(speaker, " ".join(sentences), clock, clock + length))
        clock += length
    return turns


@settings(max_examples=150, deadline=None)
@given(calls())
def test_ratios_are_in_range_and_totals_are_sums(turns):
    m = compute_metrics(turns)
    assert 0 <= m["talk_ratio"] <= 1
    assert m["talk_time_seconds"]["rep"] + m["talk_time_seconds"]["prospect"] == pytest.approx(
        sum(t["end_ms"] - t["start_ms"] for t in turns) / 1000)
    assert m["filler_words"]["count"] == sum(m["filler_words"]["by_word"].values())
    assert -1 <= m["sentiment"]["rep"] <= 1 and -2 <= m["sentiment"]["prospect_trend"] <= 2
    assert m["longest_monologue_seconds"] <= m["duration_seconds"] + 1e-9


@settings(max_examples=150, deadline=None)
@given(calls(), st.data())
def test_splitting_a_turn_at_a_sentence_boundary_changes_nothing(turns, data):
    candidates = [i for i, t in enumerate(turns) if len(t["text"].split(". ")) > 1
                  or t["text"].count("? ") or t["text"].count("! ")]
    if not candidates:
        return
    index = data.draw(st.sampled_from(candidates))
    original = turns[index]
    parts = re.split(r"(?<=[.?!])\s+", original["text"], maxsplit=1)
    if len(parts) < 2:
        return
    first_words = len(parts[0].split())
    total_words = len(original["text"].split())
    length = original["end_ms"] - original["start_ms"]
    cut = original["start_ms"] + length * first_words // total_words
    split = [*turns[:index],
             turn(original["speaker"], parts[0], original["start_ms"], cut),
             turn(original["speaker"], parts[1], cut, original["end_ms"]),
             *turns[index + 1:]]
    assert compute_metrics(split) == compute_metrics(turns)
