"""Discovery (FEEDBACK.md): open, layered questions that build on the prospect's answers and
uncover pain, impact and process score 5; mostly closed questions with little follow-up 3; a
pitch with no discovery 1."""

from __future__ import annotations

from pitchlab.analysis.skills.discovery import read_discovery
from tests.analysis.conversations import call, conversation, score

OPENING = ("R: hi Dana, it's Sam from Shiftly, we do scheduling for clinics",
           "P: okay, I have a few minutes")

LAYERED = call(
    *OPENING,
    "R: how do you build the nurses' schedule today",
    "P: our office manager does it in a spreadsheet every sunday night, and it breaks all the time",
    "R: when the spreadsheet breaks on a sunday night, what happens on monday",
    "P: we end up short two nurses and pay agency staff, about six thousand dollars a month",
    "R: six thousand a month is real money. who besides you would decide on fixing that",
    "P: the medical director signs off, and our budget resets in july",
)
CHECKLIST = call(
    *OPENING,
    "R: do you use scheduling software",
    "P: no, a spreadsheet",
    "R: how many nurses do you have",
    "P: about forty",
    "R: and you work weekends, right",
    "P: yes",
    "R: we do drag and drop schedules, shift swaps and reminders, it's really easy to use",
)
PITCH = call(
    *OPENING,
    "R: we do drag and drop schedules, shift swaps, reminders and payroll exports",
    "P: okay",
    "R: and we integrate with every major payroll system, clinics love it",
)


def test_a_pitch_with_no_question_scores_one():
    assert score(PITCH, "discovery") == 1


def test_layered_follow_ups_that_uncover_pain_impact_and_process_score_five():
    found = read_discovery(conversation(*[f"{t['speaker'][0].upper()}: {t['text']}"
                                          for t in LAYERED]))
    assert len(found.follow_ups) >= 2 and found.uncovered == 3
    assert score(LAYERED, "discovery") == 5


def test_a_closed_checklist_with_no_follow_up_scores_below_the_layered_call():
    checklist = score(CHECKLIST, "discovery")
    assert checklist is not None and 2 <= checklist <= 3
    assert checklist < (score(LAYERED, "discovery") or 0)


def test_open_sounding_questions_that_ignore_the_answers_are_not_follow_ups():
    scripted = call(
        *OPENING,
        "R: what are your biggest challenges",
        "P: honestly the weekend schedule, it breaks every week and we pay for agency nurses",
        "R: great. and what are your goals for this year",
        "P: grow to a second clinic",
        "R: what keeps you up at night",
        "P: the weekend schedule, like I said",
    )
    assert not read_discovery(conversation(*[f"{t['speaker'][0].upper()}: {t['text']}"
                                             for t in scripted])).follow_ups
    assert (score(scripted, "discovery") or 0) < (score(LAYERED, "discovery") or 0)


def test_pointing_back_at_what_the_prospect_said_is_a_follow_up():
    conv = conversation("P: we lost a client last spring",
                        "R: okay. you mentioned something earlier. what happened there")
    assert read_discovery(conv).asked[0].is_follow_up


def test_a_longer_checklist_does_not_score_higher_by_length_alone():
    longer = call(*CHECKLIST[:0], *[f"{t['speaker'][0].upper()}: {t['text']}" for t in CHECKLIST],
                  "P: anything else", "R: do you have a mobile app for staff", "P: no",
                  "R: do you track overtime", "P: yes", "R: is it in payroll", "P: yes")
    assert score(longer, "discovery") == score(CHECKLIST, "discovery")
