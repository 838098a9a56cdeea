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


# --- negativity from the prospect's situation; stock sympathy is not empathy --------------

def test_a_hard_situation_is_negative_whatever_the_word_valences():
    from pitchlab.analysis.skills.rapport import is_negative

    said = {"we had to cut back to four drivers in june": True,
            "my co-founder burned out and left": True,
            "we're three weeks behind on every order": True,
            "i just don't have the bandwidth for this right now": True,
            "the rival bid would lose on price, so we're glad": False,
            "give me a rough estimate": False}
    for text, negative in said.items():
        turn = conversation(f"P: {text}").turns[0]
        assert is_negative(turn) is negative, text


def test_stock_sympathy_then_the_pitch_ignores_the_hardship():
    conv = conversation("R: how's the season going",
                        "P: not well. we had to let nine drivers go after the depot closed",
                        "R: so sorry to hear that, I know exactly how you feel. anyway, our "
                        "routing app saves fuel",
                        "P: okay")
    found = read_rapport(conv)
    assert found.empathy == () and len(found.ignored) == 1


def test_naming_the_hardship_in_plain_words_is_empathy():
    conv = conversation("R: how's the season going",
                        "P: not well. we had to let nine drivers go after the depot closed",
                        "R: nine drivers. that's a heavy thing to carry",
                        "P: yeah")
    assert len(read_rapport(conv).empathy) == 1


def test_adapting_the_call_to_a_struggling_prospect_is_empathy():
    conv = conversation("R: how's the season going",
                        "P: honestly I'm exhausted, we're short staffed all week",
                        "R: then I'll keep this short, one question and you're free to go",
                        "P: thanks")
    assert len(read_rapport(conv).empathy) == 1


def test_a_lowercase_greeted_name_in_every_turn_is_mechanical():
    conv = conversation("R: hi marta, thanks for the time", "P: sure",
                        "R: so marta, how many vans do you run", "P: twenty",
                        "R: twenty vans, marta. and who plans the routes", "P: I do",
                        "R: got it, marta.", "P: okay")
    assert read_rapport(conv).mechanical_name == "marta"
