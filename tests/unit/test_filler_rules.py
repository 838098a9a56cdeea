"""The filler-word rules of FEEDBACK.md, each word of each context rule tried in a sentence.

Each sentence here is counted the way FEEDBACK.md says a coach would count it by hand.
"""

from __future__ import annotations

import pytest

from pitchlab.analysis.fillers import count_fillers


def fillers(text: str) -> dict[str, int]:
    return dict(count_fillers(text))


# --- hesitations and the words that are always fillers -----------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Um, we record calls.", {"um": 1}),
    ("Ummm, we record calls.", {"um": 1}),
    ("Uh, we record calls.", {"uh": 1}),
    ("Uhhh, we record calls.", {"uh": 1}),
    ("Er, we record calls.", {"er": 1}),
    ("Errr, we record calls.", {"er": 1}),
    ("The, ah, the pricing page.", {"ah": 1}),
    ("The, ahh, the pricing page.", {"ah": 1}),
    ("Hmm, let me think.", {"hmm": 1}),
    ("Hmmmm, let me think.", {"hmm": 1}),
    ("Bring an umbrella to Uhland Street.", {}),  # words that only begin like one
])
def test_hesitations_count_under_their_plain_spelling(text, expected):
    assert fillers(text) == expected


def test_erm_is_a_hesitation():
    assert sum(count_fillers("Erm, we record calls.").values()) == 1


@pytest.mark.parametrize(("text", "word"), [
    ("It is basically done.", "basically"),
    ("That was literally the best call this week.", "literally"),
    ("I'm actually just calling to check in.", "actually"),
])
def test_hedges_that_add_nothing_count(text, word):
    assert fillers(text) == {word: 1}


def test_every_sentence_is_counted_once_and_none_is_skipped():
    text = "Um, hi. Uh, right. We basically record calls. Hmm."
    assert fillers(text) == {"um": 1, "uh": 1, "basically": 1, "hmm": 1}


# --- "like" -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "It was, like, huge.",
    "It's like, huge.",  # set off by a comma, though "it's like" could be a comparison
    "Like, how many reps do you have?",
    "We have like forty reps.",
    "Like forty percent, it seems.",  # a hedge opening the sentence, whatever ends it
])
def test_like_as_a_hedge_counts(text):
    assert fillers(text) == {"like": 1}


@pytest.mark.parametrize("text", [
    "I like it.", "You like it.", "We like it.", "They like it.", "Did he like it?",
    "Did she like it?", "Make it like the old one.", "We would like a demo.", "I'd like a demo.",
    "You'd like it.", "We'd like a quote.", "They'd like a call.", "We really like it.",
    "We also like the reports.", "We don't like surprises.", "We do like it.",
    "She does like it.", "We did like it.", "We didn't like it.", "He doesn't like it.",
    "Does it look like a fit?", "It looks like a fit.", "It looked like a fit.",
    "Does that sound like a plan?", "That sounds like a plan.", "It sounded like a plan.",
    "Does it feel like work?", "It feels like work.", "It felt like work.",
    "Does it seem like a fit?", "It seems like a fit.", "It seemed like a fit.",
    "Something like that would work.", "Is there anything like it?", "There is nothing like it.",
    "That's more like it.", "It's much like the old one.", "It's just like the old one.",
    "Things like reporting matter.", "People like you buy it.", "It's not like that.",
    "That's what's like gold to us.", "That's like a dream.", "It's like a dream.",
    "Pricing is like that.", "It was like a dream.", "It will be like the old one.",
    "We have never seen the like of it.", "Give it a like.",
    "Teams like to see data.",
])
def test_like_as_a_verb_or_a_comparison_does_not_count(text):
    assert fillers(text) == {}


# --- "kind of" / "sort of" ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "phrase"), [
    ("It's kind of expensive.", "kind of"),
    ("We sort of tried.", "sort of"),
    ("Kind of pricey, that one.", "kind of"),  # a hedge opening the sentence
])
def test_kind_of_and_sort_of_as_hedges_count(text, phrase):
    assert fillers(text) == {phrase: 1}


@pytest.mark.parametrize("determiner", [
    "a", "the", "this", "that", "what", "which", "any", "some", "every", "one", "another",
    "same", "different", "each", "no", "its", "their", "our", "your",
])
def test_kind_of_after_a_determiner_is_literal(determiner):
    assert fillers(f"It is {determiner} kind of tool we buy.") == {}
    assert fillers(f"It is {determiner} sort of tool we buy.") == {}


def test_kind_and_sort_without_of_are_ordinary_words():
    assert fillers("She is kind to us. Sort the list first.") == {}


# --- "you know" ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "It's fast, you know, really fast.",
    "It's fast, you know.",  # a tag at the end of the sentence
    "You know, it's the one we did.",  # holding the floor at the start
])
def test_you_know_as_a_tag_counts(text):
    assert fillers(text) == {"you know": 1}


@pytest.mark.parametrize("text", [
    "Do you know Priya?", "Did you know Priya?", "Don't you know Priya?",
    "Didn't you know Priya?", "Tell me if you know Priya.", "As you know, we ship daily.",
    "Would you know Priya?", "Will you know by Friday?", "What he does you know already.",
])
def test_you_know_in_a_question_or_as_you_know_does_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", [
    "You know that we ship daily.", "You know how it works.", "You know what we need.",
    "You know why it failed.", "You know where we stand.", "You know when it ships.",
    "You know who signs off.", "You know whether it fits.", "You know if it fits.",
    "You know about the launch.", "You know him well.", "You know her well.",
    "You know them well.", "You know it well.", "You know the price.",
    "You know it.",  # the object ends the sentence
])
def test_you_know_with_an_object_does_not_count(text):
    assert fillers(text) == {}


def test_know_after_another_word_is_no_you_know():
    assert fillers("They know, it's fast. You see, it's fast.") == {}


# --- "I mean" -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "I mean, we could try.",
    "We could try, I mean.",  # at the end of the sentence
    "I mean.",  # the whole sentence
])
def test_i_mean_as_a_restart_counts(text):
    assert fillers(text) == {"i mean": 1}


@pytest.mark.parametrize("text", [
    "I mean it.", "I mean that.", "I mean what I say.", "I mean to call you.",
    "I mean this one.", "I mean exactly that.", "I mean every word.", "I mean business.",
    "That is what I mean.",
])
def test_i_mean_with_a_meaning_does_not_count(text):
    assert fillers(text) == {}


def test_i_followed_by_another_verb_is_no_i_mean_nor_is_someone_elses_mean():
    assert fillers("I think so. They mean well.") == {}


# --- "so" ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "So that we can grow.", "So far, so good.", "So much for that.", "So many reps quit.",
    "So long as it works.", "So few reps stay.", "So little time.",
    "We grew, so we hired.",
])
def test_so_with_a_meaning_does_not_count(text):
    assert fillers(text) == {}


def test_an_ordinary_sentence_has_no_filler():
    assert fillers("We record calls.") == {}
    assert fillers("Most of the team agreed.") == {}
