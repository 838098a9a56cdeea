"""count_fillers, one test per line of FEEDBACK.md "Filler words" (what counts, then what does
not), each with sentences that must count and near-misses that must not."""

from __future__ import annotations

import pytest

from pitchlab.analysis.fillers import count_fillers


def fillers(text: str) -> dict[str, int]:
    return dict(count_fillers(text))


# --- Count ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Um, the warranty covers parts.", {"um": 1}),
    ("the warranty, uhhh, covers parts", {"uh": 1}),
    ("It ships Monday, er, Tuesday.", {"er": 1}),
    ("Erm, that depends on the region.", {"er": 1}),
    ("Hmmmm, I'd need to check the SLA.", {"hmm": 1}),
    ("we could, ah, phase the rollout", {"ah": 1}),
    ("Ummm, uh, the portal is down.", {"um": 1, "uh": 1}),
])
def test_hesitations_count_in_any_stretched_spelling(text, expected):
    assert fillers(text) == expected


@pytest.mark.parametrize("text", ["Ah, that explains the delay.", "Ah okay, the Leeds site."])
def test_ah_opening_a_reaction_is_an_interjection(text):
    assert fillers(text) == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("the report is, like, super detailed", {"like": 1}),
    ("our crews spend like 30 minutes on it", {"like": 1}),
    ("it saves like a day every sprint", {"like": 1}),
    ("Like, which warehouse ships first?", {"like": 1}),
    ("like how often do the auditors visit", {"like": 1}),
    ("the setup is like really quick", {"like": 1}),
])
def test_like_as_hedge_or_approximation_counts(text, expected):
    assert fillers(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("the nurses love it, you know", {"you know": 1}),
    ("and the vans, you know, report their mileage", {"you know": 1}),
    ("It's cheaper, y'know?", {"you know": 1}),
    ("I mean, the board could approve it in May.", {"i mean": 1}),
    ("it's a month, I mean, five weeks with testing", {"i mean": 1}),
    ("I mean we never charge for seats", {"i mean": 1}),
])
def test_you_know_as_a_tag_and_i_mean_as_a_restart_count(text, expected):
    assert fillers(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("It's kind of a big migration.", {"kind of": 1}),
    ("we sort of stage the rollout", {"sort of": 1}),
    ("it's kinda slow on Mondays", {"kind of": 1}),
    ("they sorta ignore the alerts", {"sort of": 1}),
    ("Basically the app does the math.", {"basically": 1}),
])
def test_kind_of_and_sort_of_as_hedges_and_basically_always_count(text, expected):
    assert fillers(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm actually just following up on the quote", {"actually": 1}),
    ("we've got, actually, a few retail clients", {"actually": 1}),
    ("the install literally takes an hour", {"literally": 1}),
    ("um, so, like, the contract is annual", {"um": 1, "so": 1, "like": 1}),
    ("the fee is, uh, so, it's waived", {"uh": 1, "so": 1}),
])
def test_actually_literally_and_so_count_where_they_carry_no_meaning(text, expected):
    assert fillers(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("it's kinda like a map", {"kind of": 1}),
    ("ya know, the trucks idle a lot", {"you know": 1}),
    ("It's sorta manual today.", {"sort of": 1}),
])
def test_transcript_spellings_count_as_the_phrase(text, expected):
    assert fillers(text) == expected


# --- Do not count ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Your dispatchers will like the map view.",
    "I'd like to show you the audit trail.",
    "Clinics like yours see it in a week.",
    "It feels like a spreadsheet, only faster.",
    "Like we discussed, the pilot is free.",
    "She was like, \"where has this been?\"",
    "they were like, no way, that's too cheap",
])
def test_like_as_verb_preposition_conjunction_or_quotation_does_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", [
    "You know Dana from their finance team.",
    "Do you know when the lease ends?",
    "As you know, rates went up in April.",
    "you know how long approvals take",
])
def test_you_know_with_an_object_or_in_a_question_does_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", [
    "I mean the Leeds depot, not Hull.",
    "What I mean is the fee covers support.",
    "When I say free, I mean it.",
    "By active I mean anyone who logged in.",
])
def test_i_mean_with_a_meaning_does_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", [
    "It's a kind of retainer.",
    "We handle all sorts of fleets.",
    "What sort of reports do you send?",
    "Actually, the renewal was in June.",
    "It's actually faster than the old tool.",
    "We didn't actually ship it yet.",
    "The contract literally says ninety days.",
    "Don't read the label literally.",
    "We batch the jobs so that nothing is lost.",
    "We've signed twelve stores so far.",
    "The export runs so fast nobody notices.",
])
def test_literal_contrastive_and_meaningful_uses_do_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", [
    "Uh-huh.", "mm-hmm, sure", "Uh-oh, the import failed?", "Ah, got it.", "Hmm? Say again?",
    "uh huh, go on",
])
def test_backchannels_and_interjections_do_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", [
    "Well, honestly, the support team is the difference.",
    "Right, okay, yeah.",
    "We we we ship on Fridays.",
    "the the invoices go out monthly",
])
def test_discourse_markers_and_repeated_words_do_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", [
    "The ER nurses chart in Epic.",
    "Uma signed the order form.",
    "Kim Er runs procurement there.",
    "Treffen wir uns um 9 Uhr, then we demo.",
    "Ich glaube er ist im Urlaub.",
    'Our coaching flags every "um" in the call.',
    "Reps who say 'like' a lot sound unsure.",
])
def test_names_acronyms_other_languages_and_mentions_do_not_count(text):
    assert fillers(text) == {}


@pytest.mark.parametrize("text", ["So the next step is a demo.", "So, what's the timeline?",
                                  "Okay, so, the price is fixed."])
def test_so_opening_a_sentence_does_not_count(text):
    assert fillers(text) == {}


def test_tokens_keep_contractions_hyphenated_words_and_numbers_whole():
    from pitchlab.analysis.lexicon import tokenize

    assert tokenize("Uh-huh, it's 4.99 \u2018um\u2019...") == (
        "Uh-huh", ",", "it's", "4.99", "\u2018", "um", "\u2019", "...")


@pytest.mark.parametrize(("text", "expected"), [
    ("the swap takes an hour you know and then the line restarts", {"you know": 1}),
    ("the portal is uh so it's one login", {"uh": 1, "so": 1}),
    ("um so like we'd move your depots over first", {"um": 1, "so": 1, "like": 1}),
    ("costs dropped from ninety to like forty a unit", {"like": 1}),
    ("the plant in Växjö um runs two shifts", {"um": 1}),
    ("we, actually, literally, kind of rebuilt it", {"actually": 1, "literally": 1,
                                                     "kind of": 1}),
    ("and then, literally, the next day it shipped", {"literally": 1}),
])
def test_fillers_without_commas_and_in_stammers_count(text, expected):
    assert dict(count_fillers(text)) == expected


@pytest.mark.parametrize("text", [
    "my manager says I say um way too much",  # mentioned, not used
    "like we discussed, the pilot starts Monday",  # conjunction
    "I'd like 40 licences",  # verb
    "so that the drivers see it",
])
def test_mentions_conjunctions_and_verbs_do_not_count(text):
    assert not count_fillers(text)


def test_a_hesitation_after_say_is_still_a_hesitation():
    assert dict(count_fillers("I'd say um the biggest win is invoicing")) == {"um": 1}
