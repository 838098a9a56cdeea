"""questions_in / is_question / is_open_question, one test per line of FEEDBACK.md "Questions"
(what counts, then what does not), each with sentences that must count and near-misses."""

from __future__ import annotations

import pytest

from pitchlab.analysis.questions import is_open_question, is_question, questions_in


def asked(text: str) -> int:
    return len(questions_in(text))


@pytest.mark.parametrize("text", [
    "which depot runs the night shift",
    "how often do your drivers miss a slot?",
    "um, do the stores order weekly",
    "and who owns the vendor budget",
    "what software are the planners on",
])
def test_direct_questions_count_with_or_without_a_question_mark(text):
    assert asked(text) == 1


@pytest.mark.parametrize("text", [
    "I was wondering who runs payroll for the depots.",
    "i'd love to hear how the night team hands over",
    "I'm curious whether finance has seen the numbers",
    "I'd like to know what happens after a failed audit.",
])
def test_indirect_questions_count(text):
    assert asked(text) == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("Tell me about the last rollout.", 1),
    ("walk me through a returns day", 1),
    ("Help me understand the approval limits.", 1),
    ("Describe the handover between shifts.", 1),
    ("Tell me, how many sites are live?", 1),  # the frame and its question are one
    ("talk me through it, who approves a refund", 1),
    ("Let me show you the report.", 0),
    ("Tell your CFO we said hello.", 0),
])
def test_information_seeking_imperatives_count_once_with_their_question(text, expected):
    assert asked(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("You're on Workday today, right?", 1),
    ("your fiscal year starts in July, correct", 1),
    ("The Leeds site does its own invoicing, doesn't it?", 1),
    ("you've got six depots right", 1),
    ("Everybody hates timesheets, right?", 0),  # an opinion, not the prospect's facts
])
def test_confirmation_tags_about_the_prospects_facts_count(text, expected):
    assert asked(text) == expected


@pytest.mark.parametrize("text", [
    "How about we start with the Leeds depot?",
    "why don't we put Friday in the diary",
    "Does Wednesday at nine suit you?",
    "what if we trial it at two stores",
    "shall we bring your controller in",
    "any other questions from the drivers",
])
def test_proposals_in_question_form_count(text):
    assert asked(text) == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("How many depots do you run, and who schedules them?", 2),
    ("what's the fleet size, who maintains it and when is the lease up", 3),
    ("Tell me about the intake desk and how long a claim waits there.", 2),
    ("Is that weekly or monthly?", 1),  # an alternative question counts once
    ("do you buy the parts, or does the landlord", 1),
    ("How about a call Monday, and we'll bring the numbers?", 1),
])
def test_several_requests_in_one_sentence_count_separately(text, expected):
    assert asked(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("What does that mean for the depot? It means fewer late fees.", 0),
    ("Why does speed matter? Because late loads cost a fee.", 0),
    ("Who enjoys chasing paperwork?", 0),
    ("Isn't it wild how much goes to overtime?", 0),
    ("Why would anybody re-key those by hand?", 0),
    ("How do your planners build routes today? We see a lot of spreadsheets.", 1),
])
def test_rhetorical_questions_do_not_count(text, expected):
    assert asked(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("We're headquartered in Leeds?", 0),
    ("so our plans start at forty pounds?", 0),
    ("It integrates with Sage?", 0),
    ("You're in Leeds?", 1),
    ("Budget?", 1),
])
def test_uptalk_statements_about_the_rep_do_not_count(text, expected):
    assert asked(text) == expected


@pytest.mark.parametrize("text", [
    "My last client asked how long the setup takes.",
    "Procurement wanted to know whether we're ISO certified.",
    "How should I say this.",
    "let me see, what did we quote them. Around six thousand.",
    "you're probably asking, what's the catch",
])
def test_reported_and_self_addressed_questions_do_not_count(text):
    assert asked(text) == 0


@pytest.mark.parametrize("text", ["we were thinking, would Tuesday work?",
                                  "Good to know, and how many users are there?",
                                  "Can I ask what the budget is?", "Am I missing anything?"])
def test_the_reps_own_asking_is_not_a_report(text):
    assert asked(text) == 1


@pytest.mark.parametrize("text", ["What a launch!", "what a week you've had",
                                  "How exciting is that", "How great that the board agreed."])
def test_exclamatives_do_not_count(text):
    assert asked(text) == 0


@pytest.mark.parametrize("text", [
    "What we built is a scheduler for depots.",
    "When the driver scans the box, the customer gets a text.",
    "How we bill is per vehicle.",
    "Where most teams struggle is the handover.",
    "Which means your planners go home on time.",
    "What's nice is that the app works offline.",
])
def test_wh_clauses_that_are_statements_do_not_count(text):
    assert asked(text) == 0


@pytest.mark.parametrize(("text", "expected"), [
    ("Oh, really?", 0),
    ("Oh wow, did they?", 0),
    ("No kidding?", 0),
    ("Is that right? That's a lot of overtime.", 0),
    ("Really? How long has it been like that?", 1),
])
def test_newsmarks_do_not_count(text, expected):
    assert asked(text) == expected


def test_one_entry_per_request_and_the_sentence_tests_agree():
    assert questions_in("Thanks. What's the budget, and who signs?") == [
        "What's the budget, and who signs?"] * 2
    assert is_question("walk me through the returns process") is True
    assert is_question("We ship on Fridays.") is False


@pytest.mark.parametrize(("sentence", "expected"), [
    ("How do your planners build routes?", True),
    ("When a load is late, how do you tell the customer", True),
    ("So Dana, what made you take the call", True),
    ("Tell me about the returns desk.", True),
    ("I'd love to hear what went wrong.", True),
    ("Do you use Sage?", False),
    ("How about Friday?", False),
    ("We ship on Fridays.", False),
])
def test_open_questions_invite_an_answer_in_the_prospects_words(sentence, expected):
    assert is_open_question(sentence) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("im trying to figure out who books the trucks", 1),
    ("It would help to know how many claims you see a week.", 1),
    ("the audit is due in june isn't it", 1),
    ("I was wondering how renewals work and who approves them", 2),
    ("one more thing for you, who owns the vendor list", 1),
])
def test_indirect_frames_unpunctuated_tags_and_prefaced_questions(text, expected):
    assert asked(text) == expected


@pytest.mark.parametrize("text", [
    "Hello, this is Marco with Fleetline?",  # uptalk introducing the rep
    "they did?",  # newsmark in statement order
    "So what changes for your planners? Fewer phone calls every morning.",  # answered
    "And the catch? Zero setup cost.",
    "Who has time for that?",
])
def test_uptalk_newsmarks_and_questions_the_rep_answers_do_not_count(text):
    assert asked(text) == 0


@pytest.mark.parametrize("text", [
    "Does Tuesday work for you? No pressure.",  # a softener after a yes/no question
    "How many sites do you run? Roughly.",  # narrowing, not answering
    "who has the final say on carriers",  # not "who has time"
    "who needs to sign the order form",
])
def test_softeners_and_real_who_questions_still_count(text):
    assert asked(text) == 1
