"""Objection handling (FEEDBACK.md): only where the prospect raised one; acknowledge, explore
with a question, answer with value tied to the prospect's situation, check it landed. A
scripted "I understand, but ..." and a pitch is not handling."""

from __future__ import annotations

import pytest

from pitchlab.analysis.skills.objections import objection_kinds, read_objections
from tests.analysis.conversations import call, conversation, report, score

BEFORE = ("R: hi Priya, you had a chance to look at the proposal",
          "P: I did. honestly it's too expensive, we pay half that for our current tool")
HANDLED = call(
    *BEFORE,
    "R: that's fair, it is more than you pay now. when you say too expensive, is it the total "
    "or what you get for it",
    "P: the total. nine hundred a month is a lot for a team of twelve",
    "R: understood. you told me your twelve agents re-enter every ticket by hand, about an hour "
    "a day each. that hour a day across twelve agents is more than the difference. does that "
    "change how it looks",
    "P: put like that, it's closer than I thought. okay, send me the numbers",
)
SCRIPTED = call(
    *BEFORE,
    "R: I understand, but you get what you pay for. our platform is enterprise grade with "
    "great ROI",
    "P: maybe, but it's still double what we pay",
    "R: I hear you. what if I threw in onboarding for free",
    "P: I'll have to think about it",
)


def test_no_objection_is_not_observed_and_gets_no_advice():
    turns = call("R: hi Priya, how are renewals going this quarter",
                 "P: pretty well, we closed most of them early",
                 "R: what made the difference", "P: a new checklist for the account managers")
    result = report(turns)
    assert result["skill_scores"]["objection_handling"]["status"] == "not_observed"
    prose = " ".join([*result["strengths"], *result["improvements"],
                      *(m["why"] + m["try_instead"] for m in result["moments"])]).lower()
    assert "objection" not in prose


def test_a_real_handling_scores_high_and_the_prospect_softens():
    handled = read_objections(conversation(*[f"{t['speaker'][0].upper()}: {t['text']}"
                                             for t in HANDLED]))
    assert len(handled) == 1
    first = handled[0]
    assert first.kinds == ("price", "incumbent")
    assert first.acknowledged and first.explored and first.softened and not first.scripted
    assert (score(HANDLED, "objection_handling") or 0) >= 4


def test_scripted_i_understand_but_and_a_discount_score_below_a_real_handling():
    scripted = score(SCRIPTED, "objection_handling")
    assert scripted is not None and scripted <= 2
    assert scripted < (score(HANDLED, "objection_handling") or 0)


def test_only_the_prospect_raises_objections():
    turns = call("R: most teams think it's too expensive at first, we already use it ourselves",
                 "P: what does it do", "R: it routes tickets to the right agent")
    assert score(turns, "objection_handling") is None


@pytest.mark.parametrize(("said", "kind"), [
    ("we can't afford that this year", "price"),
    ("it's a bad time, call me back next quarter", "timing"),
    ("we already use Zendesk and we're happy with it", "incumbent"),
    ("that's not my call, I'd have to run it by my boss", "authority"),
    ("honestly we don't need it, it's not a priority", "need"),
    ("we tried a tool like this and nobody used it", "trust"),
    ("just send me an email", "brush_off"),
])
def test_each_kind_of_objection_is_recognised(said: str, kind: str):
    assert kind in objection_kinds(said)


@pytest.mark.parametrize("said", [
    "our dispatcher does it by hand every morning",
    "we have about forty reps in two offices",
    "yes, Thursday at ten works",
])
def test_disclosures_and_agreement_are_not_objections(said: str):
    assert objection_kinds(said) == []


def test_an_objection_left_unanswered_scores_one_and_the_call_ending_on_it_is_not_judged():
    unanswered = call("R: our platform records every call",
                      "P: we tried a tool like that and nobody used it",
                      "R: it has great features and a mobile app")
    assert score(unanswered, "objection_handling") == 1
    ended = call("R: our platform records every call", "P: we tried that, no thanks")
    assert score(ended, "objection_handling") is None


def test_the_prospects_answer_to_an_exploring_question_is_part_of_the_same_exchange():
    conv = conversation(
        "R: so the last step is the contract for your procurement office",
        "P: about that, there's a spending freeze until july, so we have to pause",
        "R: that's frustrating after the work your team put in. what does the freeze cover",
        "P: new contracts over twenty-five thousand need the provost to sign off",
        "R: so we start with the admissions module at nineteen thousand, under the limit, "
        "and the rest after july. would that work inside the freeze",
        "P: that might actually work, I'll check with our budget officer",
    )
    handled = read_objections(conv)
    assert len(handled) == 1 and handled[0].score == 5


def test_a_question_that_proposes_a_discount_does_not_explore():
    conv = conversation("P: honestly it's too expensive for us",
                        "R: what if I threw in onboarding for free", "P: I'll think about it")
    handled = read_objections(conv)
    assert not handled[0].explored and handled[0].pushed and not handled[0].softened
    assert handled[0].score == 1


def test_agreeing_while_naming_who_else_decides_is_a_next_step_not_an_objection():
    assert objection_kinds("yes, that works, I'll need to check with my boss") == []
    assert "authority" in objection_kinds("that's not my call, I'd have to ask my boss")


@pytest.mark.parametrize("said", [
    "we have a payroll company, we've had them for ages",
    "we work with an agency for that",
    "we've used them for six years",
])
def test_someone_already_doing_it_is_an_incumbent_objection(said):
    assert "incumbent" in objection_kinds(said)


def test_stock_sympathy_does_not_acknowledge_an_objection():
    turns = conversation("R: hi, this is Lee from Fleetline",
                         "P: we already use another provider, we're fine",
                         "R: I totally hear you, and I know exactly how you feel. our app is "
                         "the best on the market",
                         "P: okay")
    assert [h.acknowledged for h in read_objections(turns)] == [False]
