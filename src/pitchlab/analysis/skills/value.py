"""Value articulation (FEEDBACK.md, "Skills": "the product linked to pains the prospect stated,
impact quantified in the prospect's terms; buzzwords alone are not value").

What is read, in the rep's statements (not questions, five words or more) from the first
mention of the offer on:
- links: a statement that reuses at least two of the PROSPECT's content words from the turns
  where they stated their situation (a pain, or numbers) - the product tied to their pains,
  not to whatever small talk they made;
- quantified in their terms: a statement with a number that the prospect said, or a number next
  to the prospect's own words (their figures worked through: "six managers at three hours");
- buzzwords (ROI, synergy, best-in-class, game changer, "save time"...): no credit, and a point
  off when they stand in for links.
The occasion is the rep talking about the offer ("we", "our", what "it" does for "you");
without it, not observed.
"""

from __future__ import annotations

from dataclasses import dataclass

from pitchlab.analysis.report import SkillScore, not_observed, scored
from pitchlab.analysis.skills.conversation import Conversation, Utterance
from pitchlab.analysis.skills.cues import PAIN, pattern

# The rep talking about what they sell or what it changes: "we", "our", what "it" does, what
# "will"/"would" happen, "so" ... (a consequence). Broad on purpose: the occasion is any account
# of the offer, and the score then asks whether it was tied to the prospect.
_OFFER = pattern(r"we", r"we'(?:ll|d|re|ve)", r"our", r"us", r"it", r"will", r"would", r"can",
                 r"could", r"\w+'ll", r"\w+'d", r"so", r"that's", r"which", r"means",
                 r"feature\w*", r"pricing", r"here's what")
_MIN_WORDS = 5  # shorter statements are acknowledgements, not value
_CALCULATION = 3  # distinct figures in one turn: the rep is working a number out
_BUZZWORDS = pattern(r"roi", r"synerg\w*", r"best[- ]in[- ]class", r"game[- ]?changer",
                     r"world[- ]class", r"cutting[- ]edge", r"leverag\w*", r"seamless\w*",
                     r"robust", r"next[- ]gen\w*", r"future[- ]proof\w*", r"paradigm",
                     r"transform\w*", r"strategic partner", r"single source of truth",
                     r"enterprise[- ]grade", r"sav(?:e|es|ing) (?:you )?(?:time|money)",
                     r"increas\w* (?:your )?revenue", r"pays? (?:for )?itself", r"pays? off",
                     r"double[- ]digit", r"industry[- ]leading", r"state[- ]of[- ]the[- ]art",
                     r"ai[- ]powered", r"holistic", r"end[- ]to[- ]end", r"turnkey",
                     r"kpis?", r"streamlin\w*", r"empower\w*", r"all[- ]in[- ]one")


@dataclass(frozen=True)
class ValueStatement:
    turn_index: int
    text: str
    their_words: frozenset[str]
    their_numbers: frozenset[str]
    buzzwords: int
    worked_from_theirs: bool  # a figure computed in a turn that uses the prospect's numbers

    @property
    def linked(self) -> bool:
        return len(self.their_words | self.their_numbers) >= 2

    @property
    def quantified(self) -> bool:
        """Impact in the prospect's terms: their numbers, or figures worked out from them."""
        return self.linked and bool(self.their_numbers or self.worked_from_theirs)


def read_value(conv: Conversation) -> list[ValueStatement]:
    """The rep's statements about the offer, with what of the prospect's they carry."""
    if not any(_OFFER.search(s) for turn in conv.rep for s in _statements(turn)):
        return []  # the offer never came up: no occasion to articulate its value
    found = []
    their_words: set[str] = set()
    their_numbers: set[str] = set()
    for turn in conv.turns:
        if not turn.is_rep:
            if PAIN.search(turn.text) or turn.numbers:  # the prospect stating their situation
                their_words |= turn.content
                their_numbers |= turn.numbers
            continue
        # figures worked from the prospect's situation: their numbers, or a calculation
        # (several figures in one turn: "forty lawyers, an hour each, at three hundred ...")
        worked = bool(turn.numbers & their_numbers) or len(turn.numbers) >= _CALCULATION
        for sentence in _statements(turn):
            content, numbers = turn.said_in(sentence)
            found.append(ValueStatement(
                turn.index, sentence, frozenset(content & their_words),
                frozenset(numbers & their_numbers), len(_BUZZWORDS.findall(sentence)),
                worked and bool(numbers)))
    return found


def _statements(turn: Utterance) -> list[str]:
    return [s for s in turn.sentences
            if s not in turn.questions and len(s.split()) >= _MIN_WORDS]


def score_value(statements: list[ValueStatement]) -> SkillScore:
    """1, plus up to two points for links to the prospect's pains and up to two for impact
    quantified in their numbers; a point off when buzzwords outnumber the links."""
    if not statements:
        return not_observed()
    linked = [s for s in statements if s.linked]
    quantified = [s for s in linked if s.quantified]
    with_their_numbers = [s for s in quantified if s.their_numbers]
    buzz = sum(s.buzzwords for s in statements)
    points = (1 + min(2, len(linked)) + bool(quantified) + bool(with_their_numbers)
              - (buzz > len(linked)))
    evidence = [s.text for s in quantified + [s for s in linked if s not in quantified]]
    # nothing tied to the prospect: quote the claims made instead, buzzwords first
    claims = sorted(statements, key=lambda s: (-s.buzzwords, s.turn_index))
    return scored(points, evidence or [s.text for s in claims if _OFFER.search(s.text)])
