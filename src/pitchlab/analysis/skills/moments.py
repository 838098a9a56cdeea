"""Coaching moments built from what the skill rules detected (issue 13, "Moments").

Each moment points at one rep turn: ``quote`` is a sentence of that turn exactly as stored
(evidence.verbatim_in), ``why`` says in one sentence what happened there, naming what the
prospect said, and ``try_instead`` is a line built from this call's own words and numbers (the
prospect's), never a stock phrase. At most six are kept, the most telling first (an objection
mishandled, an interruption, a great follow-up...), then put back in call order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pitchlab.analysis.evidence import verbatim_in
from pitchlab.analysis.report import Moment, MomentKind, Skill
from pitchlab.analysis.skills.closing import NextStep
from pitchlab.analysis.skills.conversation import Conversation, Utterance, content_words
from pitchlab.analysis.skills.cues import PAIN
from pitchlab.analysis.skills.discovery import Discovery
from pitchlab.analysis.skills.objections import Handling, objection_kinds
from pitchlab.analysis.skills.rapport import Rapport
from pitchlab.analysis.skills.value import ValueStatement

MAX_MOMENTS = 6
_QUOTE_WORDS = 14


@dataclass(frozen=True)
class Candidate:
    weight: int  # higher: more worth a rep's attention
    moment: Moment


def their_words(turn: Utterance, limit: int = _QUOTE_WORDS,
                telling: Callable[[str], object] | None = None) -> str:
    """What the prospect said, short enough to name in a sentence: their most telling sentence
    (one that ``telling`` picks out, else the one with most content words), cut to ``limit``
    words."""
    best = max(turn.sentences, default=turn.text,
               key=lambda s: len(content_words(s)) + (3 if telling and telling(s) else 0))
    said = best.split()
    if len(said) > limit:
        return " ".join(said[:limit]).rstrip(",;:") + " ..."
    return " ".join(said).rstrip(",;:")


def moment(turn: Utterance, sentence: str, skill: Skill, kind: MomentKind, why: str,
           try_instead: str) -> Moment | None:
    quote = verbatim_in(sentence, turn.text)
    if quote is None:
        return None
    return {"turn_index": turn.index, "start_ms": turn.start_ms, "skill": skill, "kind": kind,
            "quote": quote, "why": why, "try_instead": try_instead}


def _first(turn: Utterance) -> str:
    return turn.sentences[0] if turn.sentences else turn.text


def objection_moments(handled: list[Handling]) -> list[Candidate]:
    """The worst-handled objections and the best-handled one (each its own moment)."""
    found = []
    ranked = sorted(handled, key=lambda h: (h.score, h.objection.index))
    for h in ranked[:MAX_MOMENTS // 2] + ranked[-1:]:
        said = their_words(h.objection, telling=objection_kinds)
        reply = h.response[0]
        if h.score <= 2:
            why = (f'The prospect objected ("{said}") and the reply '
                   + ("took the concern back with a \"but\" and went on to pitch."
                      if h.scripted else "moved on without exploring it or tying an answer "
                      "to their situation."))
            tip = (f'"That\'s a fair concern. When you say \'{said}\', what is behind it for '
                   'you?" Then answer with what they told you earlier and ask if it helps.')
            found.append((6, moment(reply, _first(reply), "objection_handling", "improvement",
                                    why, tip)))
        elif h.score >= 4:
            why = (f'When the prospect objected ("{said}"), you acknowledged it, explored it '
                   "and answered in their terms" + (", and they softened." if h.softened
                                                     else "."))
            tip = "Keep checking that the answer landed before moving on to the next step."
            found.append((5, moment(reply, _first(reply), "objection_handling", "strength",
                                    why, tip)))
    return [Candidate(w, m) for w, m in found if m is not None]


def discovery_moments(conv: Conversation, found: Discovery) -> list[Candidate]:
    candidates = []
    open_follow_ups = [a for a in found.follow_ups if a.is_open]
    if open_follow_ups:
        best = max(open_follow_ups, key=lambda a: (len(a.builds_on), -a.turn.index))
        before = conv.prospect_just_before(best.turn.index)
        said = their_words(before[-1]) if before else "their last answer"
        m = moment(best.turn, best.text, "discovery", "strength",
                   f'You built on what the prospect had just said ("{said}") with an open '
                   "question.", "Go one layer deeper next: ask what it costs them and who "
                   "decides on fixing it.")
        if m is not None:
            candidates.append(Candidate(4, m))
    for pain in found.pain:
        reply = next(conv.rep_after(pain.index), None)
        if reply is None or any(a.turn is reply and a.is_follow_up for a in found.asked):
            continue
        said = their_words(pain, telling=PAIN.search)
        next_layer = ("What have you tried so far, and who besides you would weigh in on "
                      "fixing it?" if pain in found.impact else
                      "What does that cost you, and who feels it most?")
        m = moment(reply, _first(reply), "discovery", "improvement",
                   f'The prospect described a problem ("{said}") and the next turn moved on '
                   "without asking about it.", f'"You said \'{said}\'. {next_layer}"')
        if m is not None:
            candidates.append(Candidate(5, m))
        break  # the first missed pain is the one to coach
    return candidates


def rapport_moments(conv: Conversation, found: Rapport) -> list[Candidate]:
    candidates = []
    for turn in found.interruptions[:2]:
        before = conv.prospect_just_before(turn.index)
        said = their_words(before[-1]) if before else "their point"
        m = moment(turn, _first(turn), "rapport", "improvement",
                   f'You started talking before the prospect had finished ("{said}").',
                   f'Let them finish, then reflect it back: "So {said.rstrip("-. ")} ..." '
                   "before you go on.")
        if m is not None:
            candidates.append(Candidate(5, m))
    for turn in found.ignored[:1]:
        before = conv.prospect_just_before(turn.index)
        said = their_words(before[-1]) if before else "their frustration"
        m = moment(turn, _first(turn), "rapport", "improvement",
                   f'The prospect was clearly frustrated ("{said}") and the reply did not '
                   "take up anything they said.",
                   f'"{said.rstrip("-. ").capitalize()}, that sounds hard. What happened?"')
        if m is not None:
            candidates.append(Candidate(4, m))
    for turn in found.empathy[:1]:
        before = conv.prospect_just_before(turn.index)
        said = their_words(before[-1]) if before else "a hard moment"
        m = moment(turn, _first(turn), "rapport", "strength",
                   f'When the prospect was negative ("{said}"), you reflected their own words '
                   "back.", "Keep coming back to their situation later in the call.")
        if m is not None:
            candidates.append(Candidate(3, m))
    return candidates


def value_moments(conv: Conversation, statements: list[ValueStatement],
                  pains: tuple[Utterance, ...]) -> list[Candidate]:
    quantified = [s for s in statements if s.quantified and s.their_numbers]
    if quantified:
        best = quantified[0]
        m = moment(conv.turns[best.turn_index], best.text, "value_articulation", "strength",
                   "You sized the value with the prospect's own numbers ("
                   + ", ".join(sorted(best.their_numbers)) + ").",
                   "Ask them to confirm the figure, so it becomes their number in the deal.")
        return [Candidate(3, m)] if m is not None else []
    buzz = [s for s in statements if s.buzzwords and not s.linked]
    if not buzz:
        return []
    pain = their_words(pains[0], telling=PAIN.search) if pains else None
    tip = (f'Tie it to what they told you: "You said \'{pain}\'; here is what that changes, '
           'in your numbers."' if pain else
           "Ask what the problem costs them first, then size the value in their numbers.")
    m = moment(conv.turns[buzz[0].turn_index], buzz[0].text, "value_articulation",
               "improvement", "This claim is generic: it uses none of what the prospect said "
               "about their own situation.", tip)
    return [Candidate(4, m)] if m is not None else []


def closing_moments(conv: Conversation, steps: list[NextStep], vague: list[str],
                    topic: str | None) -> list[Candidate]:
    agreed = [s for s in steps if s.agreed]
    if agreed:
        best = max(agreed, key=lambda s: (s.concreteness, -s.turn.index))
        m = moment(best.turn, best.text, "closing", "strength",
                   "You proposed a concrete next step and the prospect agreed to it.",
                   "Confirm it in writing right after the call with the agenda and attendees.")
        return [Candidate(3, m)] if m is not None else []
    if not vague:
        return []
    turn = next((u for u in reversed(conv.rep) if any(v in u.sentences for v in vague)), None)
    if turn is None:
        return []
    sentence = next(v for v in vague if v in turn.sentences)
    about = f' to go through "{topic.rstrip(" .")}"' if topic else ""
    m = moment(turn, sentence, "closing", "improvement",
               "The call ended on a vague next step: no day, no people and no agreed "
               "meeting.",
               f"Can we put 30 minutes in the calendar for Tuesday at 10{about}, with you and "
               "whoever else decides?")
    return [Candidate(4, m)] if m is not None else []


def pick(candidates: list[Candidate]) -> list[Moment]:
    """The strongest ``MAX_MOMENTS`` (ties: earlier first), one per turn and skill, in call
    order."""
    chosen: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: (-c.weight, c.moment["turn_index"])):
        key = (c.moment["turn_index"], c.moment["skill"])
        if all((d.moment["turn_index"], d.moment["skill"]) != key for d in chosen):
            chosen.append(c)
    return [c.moment for c in sorted(chosen[:MAX_MOMENTS],
                                     key=lambda c: (c.moment["turn_index"], c.moment["skill"]))]
