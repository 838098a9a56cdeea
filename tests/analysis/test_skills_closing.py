"""Closing (FEEDBACK.md): a concrete next step (when, who, what) proposed, and the prospect's
agreement. Vague "next steps" / "touch base" is weak; a call with no occasion is not observed."""

from __future__ import annotations

from pitchlab.analysis.skills.closing import read_next_steps
from tests.analysis.conversations import call, conversation, score

BODY = ("R: so the pilot would cover your two warehouses",
        "P: yes, and the night shift is where the mis-picks happen")


def test_a_dated_step_with_people_that_the_prospect_accepts_scores_five():
    turns = call(*BODY, "R: could we run the pilot from Monday the 3rd, with your ops lead "
                        "Ravi, and review it on the 17th at ten",
                 "P: yes, that works, I'll tell Ravi today")
    assert score(turns, "closing") == 5


def test_the_same_step_without_agreement_scores_lower():
    turns = call(*BODY, "R: could we run the pilot from Monday the 3rd, with your ops lead "
                        "Ravi, and review it on the 17th at ten",
                 "P: I guess, maybe, let me think about it")
    assert score(turns, "closing") == 3


def test_vague_next_steps_score_two():
    turns = call(*BODY, "R: great, so next steps, we'll circle back and touch base at some point",
                 "P: okay")
    assert score(turns, "closing") == 2


def test_sending_information_is_vague_whatever_its_date():
    conv = conversation(*BODY, "R: I'll send over the deck and some case studies today",
                        "P: sure")
    steps, vague = read_next_steps(conv)
    assert steps == [] and vague


def test_a_recap_of_an_earlier_call_is_no_next_step():
    conv = conversation("R: last time you said the board meets on Tuesday", "P: right")
    assert read_next_steps(conv) == ([], [])


def test_no_step_at_all_scores_one():
    assert score(call(*BODY, "R: the night shift has the same scanners", "P: okay"),
                 "closing") == 1


def test_a_call_that_ended_in_the_opening_is_not_observed():
    hung_up = call("R: hi, this is Sam from Shiftly, do you have a minute",
                   "P: no, not interested")
    assert score(hung_up, "closing") is None


def test_a_proposal_in_question_form_is_a_next_step():
    turns = call(*BODY, "R: how does Wednesday at 2 look for a walkthrough with your finance "
                        "lead", "P: Wednesday at 2 is fine")
    assert score(turns, "closing") == 5


def test_a_day_does_not_make_a_follow_up_concrete():
    conv = conversation(*BODY, "R: great, I'll follow up next week", "P: sure")
    steps, vague = read_next_steps(conv)
    assert steps == [] and vague == ["great, I'll follow up next week"]


# --- when said in words, who named lowercase, no "what" without an activity ----------------

def test_a_date_said_as_an_ordinal_is_a_when():
    conv = conversation(*BODY, "R: could we start the pilot on the twenty-second", "P: sure")
    steps, _ = read_next_steps(conv)
    assert [s.when for s in steps] == [True]


def test_an_ordinal_that_counts_things_is_no_when():
    conv = conversation(*BODY, "R: we'll start the pilot on the third floor", "P: sure")
    assert not any(s.when for s in read_next_steps(conv)[0])


def test_end_of_month_is_a_when():
    conv = conversation(*BODY, "R: can we sign the contract by end of month", "P: yes")
    assert [s.when for s in read_next_steps(conv)[0]] == [True]


def test_a_lowercase_name_both_speakers_use_as_a_person_is_a_who():
    conv = conversation(*BODY, "R: who signs off on it, you or dana in finance",
                        "P: dana signs anything over five thousand",
                        "R: great, can we review the contract with dana on thursday",
                        "P: yes")
    review = [s for s in read_next_steps(conv)[0] if "review" in s.text]
    assert [s.who for s in review] == [True]


def test_him_or_her_after_a_named_person_is_a_who():
    conv = conversation(*BODY, "R: is that you or dana in finance", "P: dana signs it",
                        "R: could you bring her to the review on thursday", "P: yes")
    assert [s.who for s in read_next_steps(conv)[0]] == [True]


def test_people_not_named_are_no_who_and_looping_them_in_is_no_what():
    conv = conversation(*BODY, "R: let's loop in the right people on your side",
                        "P: sure")
    steps, vague = read_next_steps(conv)
    assert steps == [] and vague
    assert score(call(*BODY, "R: let's loop in the right people on your side", "P: sure"),
                 "closing") == 2
