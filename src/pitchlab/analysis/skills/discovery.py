"""Discovery (FEEDBACK.md, "Skills": "open, layered questions that build on the prospect's
answers and uncover pain, its impact and the buying process (5); mostly closed questions with
little follow-up (3); a pitch with no discovery (1)").

What is read:
- follow-ups: rep questions that build on what the prospect just said, i.e. take up (in the
  question or the statement leading into it) the prospect's own content words or numbers
  from their previous turn, or point back at it ("you mentioned", "you said"). A scripted
  question whose words the prospect never used is not a follow-up, however open it sounds;
- open questions (questions.is_open_question: what/how/why, "tell me", "walk me through"; or
  a wh-word anywhere in the question, but not the counting "how many / how much");
- what the prospect disclosed in answers to the rep's questions: a pain, its impact (a number
  with a cost, time or people unit) and the buying process (who decides, budget, timeline).

Counts are capped (at most two follow-ups count, each disclosure kind once) so that a longer
call or a longer checklist of questions does not score higher by length alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pitchlab.analysis.report import SkillScore, scored
from pitchlab.analysis.skills.conversation import Conversation, Said, Utterance, echoed
from pitchlab.analysis.skills.cues import IMPACT_UNIT, PAIN, PROCESS
from pitchlab.analysis.text import words

_POINTS_BACK = re.compile(r"\byou (?:mentioned|said|told me|brought up|were saying)\b|"
                          r"\byou'd (?:mentioned|said)\b|\bearlier you\b", re.IGNORECASE)


@dataclass(frozen=True)
class Asked:
    """A rep question and what it builds on."""

    turn: Utterance
    text: str
    is_open: bool
    builds_on: frozenset[str]  # the prospect's words it takes up

    @property
    def is_follow_up(self) -> bool:
        return bool(self.builds_on) or bool(_POINTS_BACK.search(self.turn.text))


@dataclass(frozen=True)
class Discovery:
    asked: tuple[Asked, ...]
    pain: tuple[Utterance, ...]
    impact: tuple[Utterance, ...]
    process: tuple[Utterance, ...]

    @property
    def follow_ups(self) -> tuple[Asked, ...]:
        return tuple(a for a in self.asked if a.is_follow_up)

    @property
    def uncovered(self) -> int:
        """How many of pain, impact and process the prospect disclosed (0..3)."""
        return bool(self.pain) + bool(self.impact) + bool(self.process)


def read_discovery(conv: Conversation) -> Discovery:
    asked = tuple(
        Asked(turn, question, question in turn.open_questions,
              echoed(_with_lead_in(turn, question), conv.prospect_just_before(turn.index)))
        for turn in conv.rep for question in turn.questions)
    answers = _answers(conv)
    return Discovery(
        asked,
        pain=tuple(a for a in answers if PAIN.search(a.text)),
        impact=tuple(a for a in answers if _has_impact(a)),
        process=tuple(a for a in answers if PROCESS.search(a.text)),
    )


def _with_lead_in(turn: Utterance, question: str) -> Said:
    """The words of the question and of the statement just before it in the same turn: "six
    thousand a month is real money. who decides on fixing that" builds on the answer through
    its lead-in."""
    content, numbers = turn.said_in(question)
    position = turn.sentences.index(question)
    before = turn.sentences[position - 1] if position else None
    if before is None or before in turn.questions:
        return content, numbers
    lead_content, lead_numbers = turn.said_in(before)
    return content | lead_content, numbers | lead_numbers


def _answers(conv: Conversation) -> list[Utterance]:
    """The prospect turns that answer a rep question (the rep turn just before asked one)."""
    answers = []
    last_rep: Utterance | None = None
    for turn in conv.turns:
        if turn.is_rep:
            last_rep = turn
        elif last_rep is not None and last_rep.questions and words(turn.text):
            answers.append(turn)
    return answers


def _has_impact(answer: Utterance) -> bool:
    """A number with a unit of cost (money, time, people, customers, a share)."""
    return bool(answer.numbers) and any(
        IMPACT_UNIT.search(sentence) and any(n in sentence.lower() for n in answer.numbers)
        for sentence in answer.sentences)


def score_discovery(found: Discovery) -> SkillScore:
    """1 for a pitch with no question; then 2 plus a point each for open questions, for
    follow-ups (up to two) and for what the prospect disclosed (up to three kinds), mapped back
    to 2..5."""
    if not found.asked:
        return scored(1, [])
    follow_ups = found.follow_ups
    open_follow_ups = [a for a in follow_ups if a.is_open]
    points = (min(2, len(follow_ups)) + min(1, len(open_follow_ups))
              + found.uncovered if follow_ups else found.uncovered // 2)
    score = 2 + (points >= 2) + (points >= 4) + (points >= 6)
    evidence = [a.text for a in open_follow_ups + [a for a in follow_ups if not a.is_open]]
    evidence += [a.text for a in found.asked if a.is_open and a.text not in evidence]
    return scored(score, evidence or [found.asked[0].text])
