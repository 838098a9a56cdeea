"""The question rules of FEEDBACK.md: a request for information counts with or without "?".

Speech-to-text often drops the question mark, so the sentences here have none unless the case
is about the mark itself.
"""

from __future__ import annotations

import pytest

from pitchlab.analysis.questions import is_open_question, is_question, questions_in


@pytest.mark.parametrize("sentence", [
    "What is your budget", "How do you coach reps today", "Why did you switch vendors",
    "When does the contract end", "Where is the team based", "Who signs off",
    "Which tool do you use", "Whose budget is it", "Whom should I call",
    "Who else",  # two words are enough
])
def test_a_question_word_opens_a_question(sentence):
    assert is_question(sentence) is True


@pytest.mark.parametrize("sentence", [
    "Do you have budget", "Does your team use it", "Did you try it", "Is it live",
    "Are you the owner", "Was that useful", "Were they happy", "Can we meet", "Could you share it",
    "Would they agree", "Will it scale", "Should we start", "Have you seen it",
    "Has anyone tried it", "Had you heard of us", "May I ask", "Might we try", "Shall we",
    "Am I right", "Isn't it slow", "Aren't you the owner", "Don't you track it",
    "Doesn't it sync", "Didn't they renew", "Won't it break", "Wouldn't you agree",
    "Couldn't we try", "Can't you see it", "Shouldn't we start",
    "Does he approve", "Does she approve", "Is this yours", "Is there a deadline",
    "Is the team ready", "Has someone checked",
])
def test_an_auxiliary_verb_before_its_subject_opens_a_question(sentence):
    assert is_question(sentence) is True


@pytest.mark.parametrize("sentence", [
    "So how do you coach", "And what is the budget", "But who signs off", "Okay what is next",
    "Ok what is next", "Um what is next", "Uh what is next", "Well what is next",
    "Now what is next", "Then what is next", "Also who signs off", "Right what is next",
    "Alright what is next", "Just who signs off", "Curious what your budget is",
    "So, um, do you have budget",  # several lead-ins
])
def test_a_spoken_lead_in_does_not_hide_the_question(sentence):
    assert is_question(sentence) is True


@pytest.mark.parametrize("sentence", [
    "How about Thursday", "How about we meet on Friday", "What about pricing",
])
def test_a_proposal_in_question_form_is_a_question(sentence):
    assert is_question(sentence) is True


@pytest.mark.parametrize("sentence", [
    "What a great quarter", "What an idea", "What great news", "How nice", "How good",
    "How lovely", "How wonderful", "How fun", "How cool",
])
def test_an_exclamative_is_not_a_question(sentence):
    assert is_question(sentence) is False


@pytest.mark.parametrize("sentence", [
    "We do have budget", "It is live", "They were happy", "We can meet on Friday",
    "Maybe you can help", "Glad you could make it",  # a subject, but no auxiliary before it
    "Will do", "Do not worry about it", "Have a great weekend",  # an auxiliary, but no subject
    "Okay", "So", "Great", "Do", "Thanks so much", "",
])
def test_statements_and_lone_words_are_not_questions(sentence):
    assert is_question(sentence) is False


def test_a_question_mark_makes_a_question_whatever_the_words():
    assert is_question("You're on Salesforce today, right?") is True
    assert is_question("So that's forty reps, is that right?") is True


def test_questions_in_a_turn_are_its_questioning_sentences():
    text = "Thanks for the time. How many reps do you have? We do have budget. Who signs off"
    assert questions_in(text) == ["How many reps do you have?", "Who signs off"]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("What does onboarding look like", True), ("How do you coach", True),
    ("Why did you switch", True), ("Tell me about your team", True),
    ("Walk me through your process", True), ("Describe a typical week", True),
    ("Help me understand the gap", True), ("Do you have budget", False),
    ("Who signs off", False), ("Is it live", False), ("", False),
])
def test_open_questions_invite_a_story(sentence, expected):
    assert is_open_question(sentence) is expected
