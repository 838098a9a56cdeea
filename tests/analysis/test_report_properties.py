"""Properties every feedback report holds, whatever the call (hypothesis generates the calls):
the same call scored twice gives the same report; splitting a rep turn at a sentence boundary
(speech-to-text cuts turns anywhere) changes no count; every evidence quote and every moment's
quote is verbatim in a stored turn of the rep (its own turn, for a moment), double spaces and
line breaks included."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitchlab.analysis import clear_caches
from pitchlab.analysis.local_scorer import score_locally
from pitchlab.analysis.metrics import compute_metrics

REP_LINES = [
    "Hi Dana, this is Sam from Pitchlab.", "Um, so how do you onboard new reps today?",
    "What happens when a new hire misses quota in their first quarter?",
    "You mentioned ramp takes six months, what does that cost you?",
    "I hear you, budget is tight this year.", "Like, how many reps are we talking about?",
    "Basically we cut ramp time by about a third, which means reps sell sooner.",
    "Who else would weigh in on a decision like this?",
    "Does Thursday at 10 work for a 30 minute demo with your VP of Sales?",
    "I understand, but our platform is best in class.", "You know, it's kind of a big change.",
    "Tell me about your process for coaching calls.", "I'll send over some information.",
    "That makes sense, thank you for sharing.", "What we do is help managers coach at scale.",
    "We were like, this could work.", "Sorry, go on.",
]
PROSPECT_LINES = [
    "We hire about ten reps a quarter.", "Honestly the price worries me.",
    "It takes about six months before a rep is productive.", "We already use Gong for that.",
    "I'm not the one who signs off, that's our CRO.", "Sure, Thursday works.",
    "Send me an email.", "That sounds interesting.", "We tried something like this and nobody "
    "used it.", "Our managers have no time to listen to calls.", "Okay.",
]
SPACING = st.sampled_from([" ", "  ", "\n", " \n "])


@st.composite
def _spaced(draw, line: str) -> str:
    """The line as a transcriber may store it: sometimes a double space or a line break
    between two of its words."""
    gaps = line.split(" ")
    if len(gaps) < 2 or draw(st.booleans()):
        return line
    at = draw(st.integers(min_value=1, max_value=len(gaps) - 1))
    return " ".join(gaps[:at]) + draw(SPACING) + " ".join(gaps[at:])


@st.composite
def calls(draw) -> list[dict]:
    """Alternating turns (sometimes two rep turns in a row), each made of 1-3 lines joined by
    any whitespace, timed at about 150 words a minute."""
    count = draw(st.integers(min_value=0, max_value=14))
    turns, clock = [], 0
    speaker = draw(st.sampled_from(["rep", "prospect"]))
    for _ in range(count):
        pool = REP_LINES if speaker == "rep" else PROSPECT_LINES
        lines = [draw(_spaced(line))
                 for line in draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))]
        text = lines[0]
        for line in lines[1:]:
            text += draw(SPACING) + line
        length = 400 * len(text.split())
        turns.append({"speaker": speaker, "text": text, "start_ms": clock,
                      "end_ms": clock + length})
        clock += length + draw(st.integers(min_value=200, max_value=1500))
        if draw(st.integers(min_value=0, max_value=4)) != 0:  # mostly alternate
            speaker = "prospect" if speaker == "rep" else "rep"
    return turns


def _report(turns: list[dict], call_type: str = "discovery") -> dict:
    metrics = compute_metrics(turns, call_type=call_type)
    return {"metrics": metrics, "skills": score_locally(turns, metrics)}


PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(turns=calls(), call_type=st.sampled_from(
    ["cold_call", "discovery", "demo", "objection_handling", "closing"]))
def test_the_same_call_scored_twice_gives_the_same_report(turns, call_type):
    first = _report(copy.deepcopy(turns), call_type)
    clear_caches()  # cold caches too: nothing remembered changes the answer
    assert _report(copy.deepcopy(turns), call_type) == first


def _split_first_multi_sentence_rep_turn(turns: list[dict]) -> list[dict] | None:
    for index, turn in enumerate(turns):
        if turn["speaker"] != "rep":
            continue
        for line in REP_LINES:
            cut = turn["text"].find(line[:12])
            if cut > 0:  # a sentence boundary: the text before ends a line of ours
                head, tail = turn["text"][:cut].rstrip(), turn["text"][cut:]
                middle = turn["start_ms"] + (turn["end_ms"] - turn["start_ms"]) // 2
                return [*turns[:index],
                        {**turn, "text": head, "end_ms": middle},
                        {**turn, "text": tail, "start_ms": middle},
                        *turns[index + 1:]]
    return None


COUNTS = ("filler_words", "questions_asked", "word_count")


@PROPERTY
@given(turns=calls())
def test_splitting_a_rep_turn_at_a_sentence_boundary_changes_no_count(turns):
    split = _split_first_multi_sentence_rep_turn(turns)
    if split is None:
        return  # no rep turn of two sentences in this call
    whole, parts = compute_metrics(turns), compute_metrics(split)
    assert {k: whole[k] for k in COUNTS} == {k: parts[k] for k in COUNTS}


@PROPERTY
@given(turns=calls())
def test_every_quote_and_moment_is_verbatim_in_its_turn(turns):
    skills = _report(turns)["skills"]
    rep_texts = [t["text"] for t in turns if t["speaker"] == "rep"]
    for verdict in skills["skill_scores"].values():
        for quote in verdict["evidence"]:
            assert quote and any(quote in text for text in rep_texts), quote
    for moment in skills["moments"]:
        turn = turns[moment["turn_index"]]
        assert turn["speaker"] == "rep"
        assert moment["quote"] and moment["quote"] in turn["text"]
        assert moment["start_ms"] == turn["start_ms"]
