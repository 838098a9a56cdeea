"""Objection handling (FEEDBACK.md, "Skills": "only where the prospect raised one; acknowledge,
explore with a question, answer with value tied to the prospect's situation, check it landed").

Objections are detected on the PROSPECT's side only: price or budget, timing, an incumbent or
the status quo, authority, need, trust, and brush-offs. For each one, the rep's turns up to the
prospect's next objection (at most three rep turns) are read for the four moves, and the
prospect's following turns for whether they softened. A scripted acknowledgement followed by
"but" and a pitch ("I understand, but ...") is not an acknowledgement: it dismisses the concern.
Discounts and attacks on a competitor are not value; a question that proposes ("what if I
threw in ...") does not explore. The prospect softened when their reaction to the answer agrees
and they did not hold firm in between. What a prospect discloses in answer to an open question
about their situation ("my partners decide", "we tried a reminder call") is not an objection.
No objection raised: not observed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pitchlab.analysis.report import SkillScore, not_observed, scored
from pitchlab.analysis.skills.conversation import Conversation, Utterance, echoed
from pitchlab.analysis.skills.cues import PUSHBACK, SCRIPTED_EMPATHY, Cue, agrees, pattern

# The kinds of objection a prospect raises; each pattern is a way of saying it.
OBJECTION_KINDS: dict[str, Cue] = {
    "price": pattern(r"too (?:expensive|much|pricey|high)", r"expensive", r"pricey",
                     r"can't afford", r"(?:out of|over|no|not in the|blow the) budget",
                     r"budget(?:ed)? (?:is|freeze|for)", r"cheaper", r"cost(?:s)? (?:too|more)",
                     r"double what", r"half (?:that|what|the price)", r"price is",
                     r"paying (?:half|less)", r"quote (?:from|was)", r"frozen", r"freeze"),
    "timing": pattern(r"not a good time", r"bad time", r"not right now", r"not now",
                      r"busy", r"next (?:year|quarter)", r"(?:i|we) (?:have|got) no time",
                      r"(?:i|we) don't have (?:the )?time", r"not this (?:year|quarter)",
                      r"in the middle of", r"call (?:me )?back", r"too soon", r"timing"),
    "incumbent": pattern(r"already (?:use|have|work with|got|pay)", r"(?:happy|fine) with",
                         r"current (?:provider|vendor|system|tool|platform)",
                         r"we use \w+", r"works for us", r"build (?:it|this|our own)",
                         r"in[- ]house", r"ourselves",
                         # "we have a cleaning company", "we work with an agency": someone
                         # already does it; "we've had them for years": and has for long
                         r"(?:we|i) (?:have|use|work with|'ve got|got) (?:a|an|our|someone|"
                         r"somebody|a guy|people)(?: \w+){0,2} (?:company|vendor|provider|"
                         r"agency|firm|guy|person|partner|service|supplier|contractor|crew|"
                         r"team|tool|system|platform|software|solution)s?",
                         r"(?:we've|we have|i've|i have) (?:had|used|been with|worked with) "
                         r"(?:them|him|her|it|\w+) for (?:years|ages|a long time|\w+ years)"),
    "authority": pattern(r"not my (?:call|decision)", r"not (?:the|a) (?:decision|right)",
                         r"(?:have|need) to (?:ask|check with|run it by|talk to)",
                         r"my (?:boss|partner|cfo|ceo)", r"above my", r"sign off"),
    "need": pattern(r"don't (?:need|see the need)", r"not interested", r"not a priority",
                    r"no need", r"doesn't apply", r"not (?:your|the right) (?:guy|person)",
                    r"we're fine", r"why would (?:we|i)", r"what's the point"),
    "trust": pattern(r"worried", r"concern\w*", r"not sure", r"skeptical", r"tried \w+",
                     r"burned", r"didn't work", r"nobody used", r"never used", r"risk\w*",
                     r"compliance", r"security", r"hipaa", r"privacy", r"last time",
                     r"don't trust", r"broke (?:our|my|their) promise", r"promised"),
    "brush_off": pattern(r"send me (?:an email|something|some info|information)",
                         r"just email", r"what's this about", r"not interested",
                         r"i'll (?:think about|get back)"),
}

# The rep answering the concern: words that grant it.
_ACKNOWLEDGES = pattern(r"fair", r"makes sense", r"understood", r"understand\w*", r"hear you",
                        r"frustrating", r"tough", r"sorry", r"i can see", r"i get why",
                        r"good (?:point|question)", r"reasonable", r"valid", r"totally get",
                        r"i get (?:it|that)", r"appreciate", r"of course", r"you're right",
                        r"that's true", r"agree\w*", r"no wonder", r"right to")
# "I understand, but ...", "sure, but ...": a reply that opens by taking the concern back in
# the same breath (a "but" within its first few words) is a rebuttal, not an acknowledgement.
_BUT_AFTER_ACK = re.compile(r"^[^.?!]{0,40}\bbut\b", re.IGNORECASE)
# Not value: a price cut or running down the competitor.
_NOT_VALUE = pattern(r"discount", r"\d+ ?(?:%|percent) off", r"throw in", r"for free",
                     r"free (?:onboarding|month|trial)", r"better than", r"deadline",
                     r"price goes up", r"only (?:valid|good) until", r"they're (?:not|bad)")
# A question that proposes ("what if I threw in...", "how about we...") rather than asks.
_PROPOSES = re.compile(r"^(?:(?:so|and|okay|well),? )?(?:what if|how about|would you|could we|"
                       r"can we|shall we|why don't|would it help)\b", re.IGNORECASE)
# A question asking for the prospect's reaction to the offer ("what did you think"): what
# comes back is resistance if it resists, not a disclosure.
_ASKS_REACTION = re.compile(r"\b(?:think|thoughts|sound|feel about|look to you|reaction|"
                            r"impression|concerns?|hesitat\w*|holding you back)\b", re.IGNORECASE)
# Checking it landed: a question to the prospect about the answer.
_CHECKS = pattern(r"does that", r"would that", r"is that", r"how does that", r"how would that",
                  r"does this", r"would this", r"make sense", r"help\w*", r"change",
                  r"work for you", r"address", r"fair", r"sound")


_NEXT_STEP_WHEN_AGREEING = frozenset({"brush_off", "authority"})
# All kinds in one pattern (one scan of a turn instead of one per kind).
_ANY_OBJECTION = re.compile("|".join(f"(?P<{kind}>{said.pattern})"
                                     for kind, said in OBJECTION_KINDS.items()))


# How far the rep's answer to one objection is read: acknowledging, exploring, answering and
# checking can take a few exchanges (until the prospect's next objection at the latest).
_RESPONSE_TURNS = 3


def objection_kinds(text: str) -> list[str]:
    """The kinds of objection ``text`` raises, in OBJECTION_KINDS order. "Send me something"
    or "I'd need to check with our budget officer" in a turn that otherwise agrees ("that
    might work, I'd need to check with...") is a next step, not a brush-off or an authority
    objection."""
    found = {match.lastgroup for match in _ANY_OBJECTION.finditer(text.lower())}
    if found & _NEXT_STEP_WHEN_AGREEING and agrees(text):
        found -= _NEXT_STEP_WHEN_AGREEING
    return [kind for kind in OBJECTION_KINDS if kind in found]


@dataclass(frozen=True)
class Handling:
    """One objection and what the rep did with it."""

    objection: Utterance
    kinds: tuple[str, ...]
    response: tuple[Utterance, ...]
    acknowledged: bool
    scripted: bool
    explored: bool
    tied_to_them: bool
    checked: bool
    softened: bool
    pushed: bool  # discount or competitor talk instead of value

    @property
    def moves(self) -> int:
        return (self.acknowledged + self.explored + self.tied_to_them + self.checked
                + self.softened)

    @property
    def score(self) -> int:
        penalty = self.scripted + self.pushed
        return max(1, min(5, 1 + self.moves - penalty))


def read_objections(conv: Conversation) -> list[Handling]:
    handled = []
    kinds = {u.index: _raised_in(conv, u) for u in conv.prospect}
    raised = _objections(conv, kinds)
    for number, objection in enumerate(raised):
        next_one = raised[number + 1].index if number + 1 < len(raised) else len(conv.turns)
        response = tuple(u for u in conv.rep_after(objection.index)
                         if u.index < next_one)[:_RESPONSE_TURNS]
        if not response:
            continue  # the call ended on it: nothing the rep could be judged on
        handled.append(_judge(conv, objection, response, kinds))
    return handled


# Kinds that, in an answer to an open question about the prospect's situation, are what they
# disclose ("how do you decide?" - "my partners and I decide"; "what have you tried?" - "we
# tried a reminder call"), not resistance. Price, need and brush-offs resist whenever said.
_DISCLOSED_WHEN_ASKED = frozenset({"trust", "authority", "timing", "incumbent"})


def _objections(conv: Conversation, kinds: dict[int, list[str]]) -> list[Utterance]:
    """The prospect turns that raise an objection. While the rep is still answering one (within
    its response turns), the prospect's answer to the rep's exploring question belongs to that
    exchange ("is the freeze on everything?" - "contracts over 25k need the provost"), however
    it is worded: it is not a new objection."""
    raised: list[Utterance] = []
    for turn in conv.prospect:
        if not kinds[turn.index]:
            continue
        if raised and _answers_within(conv, raised[-1], turn):
            continue
        raised.append(turn)
    return raised


def _answers_within(conv: Conversation, objection: Utterance, turn: Utterance) -> bool:
    replies = [u for u in conv.rep if objection.index < u.index < turn.index]
    if not replies or len(replies) >= _RESPONSE_TURNS:
        return False
    last = replies[-1].sentences[-1] if replies[-1].sentences else ""
    return last in replies[-1].questions and not _PROPOSES.search(last)


def _raised_in(conv: Conversation, turn: Utterance) -> list[str]:
    kinds = objection_kinds(turn.text)
    if kinds and _answers_an_open_question(conv, turn):
        kinds = [kind for kind in kinds if kind not in _DISCLOSED_WHEN_ASKED]
    return kinds


def _answers_an_open_question(conv: Conversation, turn: Utterance) -> bool:
    asked = next((u for u in reversed(conv.turns[:turn.index]) if u.is_rep), None)
    if asked is None or not asked.sentences:
        return False
    last = asked.sentences[-1]
    return (last in asked.open_questions and not _PROPOSES.search(last)
            and not _ASKS_REACTION.search(last))


def _judge(conv: Conversation, objection: Utterance, response: tuple[Utterance, ...],
           kinds: dict[int, list[str]]) -> Handling:
    first = response[0]
    opening = first.sentences[0] if first.sentences else ""
    scripted = bool(_BUT_AFTER_ACK.search(first.text))
    reflects = bool(echoed(opening, (objection,)))
    # stock sympathy ("I understand how you feel", "others felt the same way") grants nothing
    # of this prospect's concern: only what the opening says beyond it counts
    own_words = SCRIPTED_EMPATHY.without(opening)
    acknowledged = not scripted and (bool(_ACKNOWLEDGES.search(own_words)) or reflects)
    their_words = conv.prospect_content_until(response[-1].index)
    their_numbers = conv.prospect_numbers_until(response[-1].index)
    statements = [u.said_in(s) for u in response for s in u.sentences if s not in u.questions]
    explored = any((q in u.open_questions or echoed(q, (objection,)))
                   and not _PROPOSES.search(q) for u in response for q in u.questions)
    tied = any(len((content & their_words) | (numbers & their_numbers)) >= 2
               for content, numbers in statements)
    checked = tied and any(_CHECKS.search(q) for q in response[-1].questions)
    after = conv.prospect_after(response[-1].index)
    held_firm = any(not agrees(u.text) and PUSHBACK.search(u.text) for u in conv.prospect
                    if first.index < u.index < response[-1].index)
    softened = bool(after) and not held_firm and _softened(
        objection, after[0], bool(kinds.get(after[0].index)))
    pushed = any(_NOT_VALUE.search(u.text) for u in response)
    return Handling(objection, tuple(kinds[objection.index]), response, acknowledged,
                    scripted, explored, tied, checked, softened, pushed)


def _softened(objection: Utterance, reaction: Utterance, objects_again: bool) -> bool:
    """The prospect's next turn agrees more than it pushes back, or is warmer than the
    objection was and raises no new objection."""
    warmer = reaction.sentiment > objection.sentiment + 0.2 and not objects_again
    return agrees(reaction.text) or warmer


def score_objections(handled: list[Handling]) -> SkillScore:
    """The mean of the per-objection scores (1 + a point per move, less a point for a
    scripted "I understand, but" and for a discount or a competitor attack)."""
    if not handled:
        return not_observed()
    mean = sum(h.score for h in handled) / len(handled)
    evidence = [u.sentences[0] for h in handled if h.acknowledged for u in h.response[:1]
                if u.sentences]
    return scored(int(mean + 0.5), evidence)
