"""Rapport (FEEDBACK.md): reflecting the prospect's words, empathy when the prospect is
negative, no interruptions, names used naturally; scripted phrases alone are not rapport."""

from __future__ import annotations

from pitchlab.analysis.skills.rapport import interruptions, read_rapport
from tests.analysis.conversations import call, conversation, score

ROUGH = "P: it's been an awful week, our booking system went down and we oversold twelve rooms"
LISTENING = call(
    "R: hi Elena, thanks for making the time",
    ROUGH,
    "R: twelve rooms oversold, that sounds awful. were you the one dealing with the guests",
    "P: yes, I was at the front desk until two in the morning",
    "R: until two in the morning at the front desk, after a week like that. what would you "
    "need so it never happens again",
    "P: a system that syncs in real time",
)
SCRIPTED = call(
    "R: hi Elena, thanks for making the time",
    ROUGH,
    "R: I hear you, Elena. thank you for sharing. so tell me about your goals, Elena",
    "P: honestly just getting through the week",
    "R: totally understand, Elena. we have the best booking engine on the market, Elena",
    "P: okay",
)


def test_reflecting_and_empathy_score_above_scripted_phrases_and_a_mechanical_name():
    listening = score(LISTENING, "rapport")
    scripted = score(SCRIPTED, "rapport")
    assert listening is not None and scripted is not None
    assert listening >= 4 and scripted <= 2


def test_scripted_empathy_leaves_the_negative_turn_ignored():
    lines = [f"{t['speaker'][0].upper()}: {t['text']}" for t in SCRIPTED]
    found = read_rapport(conversation(*lines))
    assert found.ignored and not found.empathy
    assert found.mechanical_name == "Elena"


def test_a_name_used_once_is_natural():
    lines = [f"{t['speaker'][0].upper()}: {t['text']}" for t in LISTENING]
    assert read_rapport(conversation(*lines)).mechanical_name is None


def test_talking_over_the_prospect_is_an_interruption_and_lowers_the_score():
    lines = [f"{t['speaker'][0].upper()}: {t['text']}" for t in LISTENING]
    cut = call(*lines, overlap_ms={2: 1500, 4: 800})
    conv = conversation(*lines, overlap_ms={2: 1500, 4: 800})
    assert [t.index for t in interruptions(conv)] == [2, 4]
    assert (score(cut, "rapport") or 0) < (score(LISTENING, "rapport") or 0)


def test_a_cut_off_word_is_an_interruption_even_without_overlap():
    conv = conversation("P: we have been waiting on the integration since mar-",
                        "R: right, right, so about pricing")
    assert [t.index for t in interruptions(conv)] == [1]


def test_estimated_practice_timings_show_no_overlap():
    conv = conversation("P: we have been waiting since march", "R: what happened then",
                        overlap_ms={1: 900})
    assert interruptions(conv, timed=False) == []
    assert interruptions(conv, timed=True) == [conv.turns[1]]


def test_no_prospect_no_rapport():
    assert score(call("R: hi, thanks for your time. what slows your reps down"),
                 "rapport") is None
