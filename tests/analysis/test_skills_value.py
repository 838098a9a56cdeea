"""Value articulation (FEEDBACK.md): the product linked to pains the prospect stated, impact
quantified in the prospect's terms; buzzwords alone are not value."""

from __future__ import annotations

from pitchlab.analysis.skills.value import read_value
from tests.analysis.conversations import call, conversation, score

PAIN = ("R: how do your clerks handle expense receipts today",
        "P: they chase the sales reps by email for receipts, our close takes nine days and we "
        "wrote off four thousand dollars last month")
TIED = call(
    *PAIN,
    "R: with us the rep snaps the receipt when they pay, so your clerks stop chasing receipts "
    "by email. customers your size get the close from nine days to five, and the four thousand "
    "dollars in write offs goes away",
    "P: that would matter",
)
BUZZ = call(
    *PAIN,
    "R: our best-in-class platform drives synergies across finance. customers see a 300% ROI "
    "and it really is a game changer that will save time",
    "P: okay",
)


def test_value_tied_to_the_prospects_pains_and_numbers_scores_above_buzzwords():
    tied, buzz = score(TIED, "value_articulation"), score(BUZZ, "value_articulation")
    assert tied is not None and buzz is not None
    assert tied >= 4 and buzz == 1


def test_links_carry_the_prospects_own_words_and_numbers():
    lines = [f"{t['speaker'][0].upper()}: {t['text']}" for t in TIED]
    statements = read_value(conversation(*lines))
    linked = [s for s in statements if s.linked]
    assert linked and {"receipt", "close", "email"} <= set().union(*(s.their_words for s in linked))
    assert any({"nine", "four", "thousand"} & s.their_numbers for s in linked)


def test_no_offer_discussed_is_not_observed():
    questions_only = call("R: how do your clerks handle receipts today",
                          "P: by email, mostly", "R: what happens at month end", "P: we chase")
    assert score(questions_only, "value_articulation") is None
