"""Rapport (FEEDBACK.md, "Skills": "listening shown by reflecting the prospect's words, empathy
when the prospect is negative, no interruptions, names used naturally; scripted phrases alone
are not rapport").

What is read:
- reflecting: a rep turn that takes up at least two of the prospect's content words or numbers
  from the turn it answers (their words, not the rep's script);
- negative: the prospect's situation is hard (cues.HARDSHIP: a loss, layoffs, being behind,
  burnout, "it's been rough", "I don't have it in me") or they complain. Not word valences:
  "our CFO would lose that argument" is good news for the prospect;
- empathy: after a negative prospect turn, the rep's next turn, once stock sympathy is taken out
  (cues.SCRIPTED_EMPATHY: "so sorry to hear that", "I know exactly how you feel"), reflects two
  of the prospect's words, or names the hardship in plain words about their case ("twelve
  people. that's a hard month": a word for hardship and one of theirs), or adapts the call to
  them ("let me keep this short"). Stock sympathy and then the pitch acknowledges nothing: the
  negative turn counts as ignored;
- interruptions: a rep turn that starts before the prospect's previous turn ended
  (start_ms < end_ms), or follows a prospect turn cut off mid-word (ending in "-");
- names: the prospect's name (a capitalised word, or the lowercase name the rep greeted, set
  off as an address) in most rep turns reads as mechanical.
Needs both people to have spoken; otherwise not observed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pitchlab.analysis.report import SkillScore, not_observed, scored
from pitchlab.analysis.skills import names
from pitchlab.analysis.skills.conversation import Conversation, Utterance, echoed, stem
from pitchlab.analysis.skills.cues import HARDSHIP, SCRIPTED_EMPATHY, pattern

_COMPLAINT = pattern(r"awful", r"terrible", r"frustrat\w*", r"annoy\w*", r"furious",
                     r"angry", r"upset", r"tired", r"sick of", r"fed up", r"nightmare",
                     r"quit", r"every weekend", r"took the heat",
                     r"five of these calls", r"waste of", r"broke", r"let (?:us|me) down",
                     r"didn't deliver", r"gotta go")
# The rep's own words for a hardship, said about the prospect's case.
_NAMES_HARDSHIP = pattern(r"hard", r"tough", r"rough", r"brutal", r"a lot", r"heavy",
                          r"painful", r"awful", r"terrible", r"difficult", r"gut punch",
                          r"hurts?", r"no small thing", r"sorry", r"ouch", r"big hit", r"blow")
# Adapting the call to a prospect who is struggling is empathy too.
_ADAPTS = pattern(r"keep (?:this|it) (?:short|brief|quick|to)", r"(?:another|a better) time",
                  r"no (?:rush|pressure)", r"take your time", r"whenever you're ready")
# A name said to someone: a word set off by a comma or ending the sentence ("hi Elena, ...",
# "I hear you, Elena.", "sorry to hear that tom."), not a company or product named in passing.
_ADDRESSED = re.compile(r"(?<=, )([A-Za-z][a-z]{2,})\b|\b([A-Za-z][a-z]{2,})(?=,|[.?!]?\s*$)")


@dataclass(frozen=True)
class Rapport:
    reflections: tuple[Utterance, ...]  # rep turns that take up the prospect's words
    answered: int  # rep turns that answer a prospect turn
    empathy: tuple[Utterance, ...]  # reflecting replies to a negative prospect turn
    ignored: tuple[Utterance, ...]  # negative prospect turns answered without their words
    interruptions: tuple[Utterance, ...]
    mechanical_name: str | None


def read_rapport(conv: Conversation, *, timed: bool = True) -> Rapport:
    """``timed``: the turns' times were measured (a practice call's are estimated, so an
    overlap there says nothing; a cut-off "-" still does)."""
    reflections: list[Utterance] = []
    empathy: list[Utterance] = []
    ignored: list[Utterance] = []
    answered = 0
    for turn in conv.rep:
        before = conv.prospect_just_before(turn.index)
        if not before or conv.turns[turn.index - 1].is_rep:
            continue  # not the first rep turn after the prospect spoke
        answered += 1
        if len(echoed(turn, before)) >= 2:
            reflections.append(turn)
        if any(is_negative(u) for u in before):
            (empathy if shows_empathy(turn, before) else ignored).append(turn)
    return Rapport(tuple(reflections), answered, tuple(empathy), tuple(ignored),
                   tuple(interruptions(conv, timed=timed)), _mechanical_name(conv))


def is_negative(turn: Utterance) -> bool:
    """The prospect is in a hard situation or complains (see the module docstring)."""
    return bool(HARDSHIP.search(turn.text) or _COMPLAINT.search(turn.text))


def shows_empathy(turn: Utterance, before: tuple[Utterance, ...]) -> bool:
    """The rep's reply to a negative turn, stock sympathy aside, takes up what the prospect
    said (two of their words, or one of theirs with a word for the hardship) or adapts the
    call to them."""
    own_words = SCRIPTED_EMPATHY.without(turn.text)
    theirs = echoed(own_words, before)
    named = bool(theirs) and bool(_NAMES_HARDSHIP.search(own_words))
    return len(theirs) >= 2 or named or bool(_ADAPTS.search(own_words))


def interruptions(conv: Conversation, *, timed: bool = True) -> list[Utterance]:
    """Rep turns that cut the prospect off."""
    cut = []
    for previous, turn in zip(conv.turns, conv.turns[1:], strict=False):
        if not turn.is_rep or previous.is_rep:
            continue
        overlaps = timed and turn.start_ms < previous.end_ms
        if overlaps or previous.text.rstrip().endswith("-"):
            cut.append(turn)
    return cut


def _mechanical_name(conv: Conversation) -> str | None:
    """The name the rep says in most of their turns (at least three), if any: capitalised, or
    lowercase when it is the name the rep greeted (speech-to-text writes "hi tom")."""
    said_in: Counter[str] = Counter()
    greeted = names.greeted(conv)
    for turn in conv.rep:
        said_in.update({name for sentence in turn.sentences
                        for a, b in _ADDRESSED.findall(sentence)
                        if _is_name(name := a or b, greeted)})
    if not said_in:
        return None
    name, turns = said_in.most_common(1)[0]
    return name if turns >= 3 and turns > len(conv.rep) / 2 else None


def _is_name(word: str, greeted: frozenset[str]) -> bool:
    return word[0].isupper() or stem(word) in greeted


def score_rapport(conv: Conversation, found: Rapport) -> SkillScore:
    """2, plus up to two points for reflecting (a quarter, then half of the answering turns),
    one for empathy where the prospect was negative (or for a call with no negative turn and
    some reflecting), one for no interruption; less a point per interruption beyond the first,
    per negative turn ignored and for a mechanical name."""
    if not conv.prospect or not conv.rep:
        return not_observed()  # nobody to build rapport with
    share = len(found.reflections) / found.answered if found.answered else 0.0
    points = 2 + (share >= 0.25) + (share >= 0.5)
    if found.empathy or (not found.ignored and found.reflections):
        points += 1
    points -= len(found.ignored) + (found.mechanical_name is not None)
    points += 1 if not found.interruptions else -(len(found.interruptions) - 1)
    evidence = list(dict.fromkeys(t.sentences[0] for t in found.empathy + found.reflections
                                  if t.sentences))
    return scored(max(1, points - 1), evidence)
