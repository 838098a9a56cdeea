"""Rapport (FEEDBACK.md, "Skills": "listening shown by reflecting the prospect's words, empathy
when the prospect is negative, no interruptions, names used naturally; scripted phrases alone
are not rapport").

What is read:
- reflecting: a rep turn that takes up at least two of the prospect's content words or numbers
  from the turn it answers (their words, not the rep's script);
- empathy: after a negative prospect turn (VADER compound below -0.2, or a complaint), the rep's
  next turn reflects what the prospect said. "I hear you" / "thank you for sharing" with none of
  their words is scripted, and the negative turn counts as ignored;
- interruptions: a rep turn that starts before the prospect's previous turn ended
  (start_ms < end_ms), or follows a prospect turn cut off mid-word (ending in "-");
- names: the prospect's name (a capitalised word the rep repeats) in most rep turns reads as
  mechanical.
Needs both people to have spoken; otherwise not observed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pitchlab.analysis.report import SkillScore, not_observed, scored
from pitchlab.analysis.skills.conversation import Conversation, Utterance, echoed
from pitchlab.analysis.skills.cues import pattern

_COMPLAINT = pattern(r"awful", r"rough", r"terrible", r"frustrat\w*", r"annoy\w*", r"furious",
                     r"angry", r"upset", r"tired", r"sick of", r"fed up", r"nightmare",
                     r"quit", r"burn\w* out", r"exhaust\w*", r"every weekend", r"took the heat",
                     r"five of these calls", r"waste of", r"broke", r"let (?:us|me) down",
                     r"didn't deliver", r"gotta go", r"stress\w*", r"struggl\w*", r"worr\w*")
_NEGATIVE = -0.2
# A name said to someone: a capitalised word set off by a comma or ending the sentence
# ("hi Elena, ...", "I hear you, Elena."), not a company or product named in passing.
_ADDRESSED = re.compile(r"(?<=, )([A-Z][a-z]{2,})\b|\b([A-Z][a-z]{2,})(?=,|[.?!]?\s*$)")


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
        reflects = len(echoed(turn, before)) >= 2
        if reflects:
            reflections.append(turn)
        if any(is_negative(u) for u in before):
            (empathy if reflects else ignored).append(turn)
    return Rapport(tuple(reflections), answered, tuple(empathy), tuple(ignored),
                   tuple(interruptions(conv, timed=timed)), _mechanical_name(conv))


def is_negative(turn: Utterance) -> bool:
    return turn.sentiment < _NEGATIVE or bool(_COMPLAINT.search(turn.text))


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
    """The name the rep says in most of their turns (at least three), if any."""
    said_in: Counter[str] = Counter()
    for turn in conv.rep:
        said_in.update({a or b for sentence in turn.sentences
                        for a, b in _ADDRESSED.findall(sentence)})
    if not said_in:
        return None
    name, turns = said_in.most_common(1)[0]
    return name if turns >= 3 and turns > len(conv.rep) / 2 else None


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
    evidence = [t.sentences[0] for t in found.empathy + found.reflections if t.sentences]
    return scored(max(1, points - 1), evidence)
