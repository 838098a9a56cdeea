"""Closing (FEEDBACK.md, "Skills": "a concrete next step (when, who, what) proposed, and the
prospect's agreement").

A next step is a rep sentence that names at least one of:
- when: a day, a date, a time of day ("Tuesday at ten", "the 21st", "tomorrow", "today");
- who: people or roles beyond "you and me" (a named person, "your CFO", "the owner");
- what: a meeting, call, demo, pilot, trial, contract, signature, kickoff, review, proposal.
"Let's touch base", "next steps", "circle back", "I'll follow up", "send some info" without a
when are vague (a what with people but no day counts only without such words): vague steps
alone earn no more than 2. The prospect's agreement is read in
their next turn (agreeing cues outweighing hedges such as "I guess", "maybe", "think about it").
A call that ended before there was an occasion to close (the rep spoke fewer than twice, or the
prospect never answered) is not observed, never "work on it".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pitchlab.analysis.questions import is_question
from pitchlab.analysis.report import SkillScore, not_observed, scored
from pitchlab.analysis.skills import names
from pitchlab.analysis.skills.conversation import Conversation, Utterance, content_words
from pitchlab.analysis.skills.cues import FORWARD, agrees, pattern

_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|"
           r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec")
# Dates said in words ("by the fourteenth", "on the twenty-first"): an ordinal after a
# preposition or before "of <month>", not one that counts things ("the second floor").
_ORDINAL = (r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|"
            r"twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|"
            r"nineteenth|twentieth|thirtieth|(?:twenty|thirty)[- ](?:first|second|third|fourth|"
            r"fifth|sixth|seventh|eighth|ninth)")
_COUNTED = (r"floor|quarter|time|step|thing|one|place|round|option|page|slide|item|point|"
            r"person|year|tier|phase|half|part|call|meeting|week|month")
WHEN = pattern(r"monday|tuesday|wednesday|thursday|friday|saturday|sunday", r"tomorrow",
               r"today", r"tonight", r"this (?:afternoon|morning|evening)",
               r"the \d{1,2}(?:st|nd|rd|th)", r"\d{1,2}(?:st|nd|rd|th)",
               rf"(?:{_MONTHS}) \d{{1,2}}", r"\d{1,2}(?::\d{2})? ?(?:am|pm|a\.m\.|p\.m\.)",
               rf"(?:on|by|before|after|until|till|from|through|around) the (?:{_ORDINAL})"
               rf"(?! (?:{_COUNTED})s?\b)", rf"the (?:{_ORDINAL}) of (?:{_MONTHS}|the month)",
               rf"(?:{_MONTHS}) (?:the )?(?:{_ORDINAL})",
               r"at (?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon|"
               r"\d{1,2}(?::\d{2})?)", r"noon", r"o'clock", r"end of (?:the )?day",
               r"first (?:thing|week of \w+)", r"(?:this|next) (?:week|month)",
               r"end of (?:the )?(?:week|month|quarter)")
# People: a role after a determiner ("your CFO", "our account lead", "the managing partner"),
# not the verb ("partner with you") nor a thing ("the scheduling board").
_ROLE = (r"cfo|ceo|cto|coo|cio|vp|owners?|boss|principal|committee|board|chef|designer|admin|"
         r"procurement|legal")
_MODIFIED_ROLE = (r"leads?|heads?|managers?|directors?|engineers?|officers?|partners?|team|"
                  r"reps?|admins?|coordinators?|champions?")
WHO = pattern(rf"(?:your|our|the|their|my|his|her) (?:{_ROLE})",
              rf"(?:your|our|the|their|my|his|her) (?:\w+ )?(?:{_MODIFIED_ROLE})",
              r"head of \w+", r"department heads?", r"both of (?:you|them)",
              r"introduce me")
# Verbs of a commitment that name no activity of their own.
_NO_ACTIVITY = (r"loop|get|keep|figure|touch|circle|follow|reach|think|talk|see|move|take|align|"
                r"stay|be|need|want|try|just|definitely|probably|let|make sure|work it out")
WHAT = pattern(r"meeting", r"call", r"demo", r"pilot", r"trial", r"contract", r"sign\w*",
               r"docusign", r"kick-?off", r"review", r"proposal", r"invite", r"walkthrough",
               r"session", r"workshop", r"presentation", r"onboarding", r"rollout", r"start",
               r"training", r"agreement", r"order", r"quote", r"calendar", r"book", r"schedule",
               r"pos?", r"purchase order", r"paperwork", r"invoice", r"delivery", r"shipment",
               # a commitment to an action ("let's load your jobs", "I'll bring our lead",
               # "I'll set up"), not one that names no activity ("let's loop in the right
               # people", "let's keep the conversation going", "we'll figure it out")
               rf"(?:let's|i'll|we'll) (?!(?:{_NO_ACTIVITY})\b)\w+", r"set up", r"introduce")
VAGUE = pattern(r"next steps?", r"touch base", r"circle back", r"follow[- ]up", r"reconnect",
                r"let me know", r"when you get a chance", r"keep in touch", r"at some point",
                r"down the road", r"in the next few weeks", r"over the line", r"loop back",
                r"figure (?:it|that|out)", r"later", r"move forward", r"ball rolling",
                # people not named: "loop in the right people", "whoever needs to be there"
                r"(?:the )?right (?:people|person|folks)", r"whoever", r"someone",
                r"anyone else")
# Sending information is the rep's errand, not a step the two agree on (FEEDBACK.md's
# "concrete next step" involves the prospect): it stays vague whatever its date.
INFO_ONLY = pattern(r"send (?:you |over |along )?(?:some |the |a |my |our )?(?:more )?"
                    r"(?:info\w*|materials?|details|deck|slides|case stud\w+|brochure|"
                    r"one[- ]pager|overview|link|recording|pdf)", r"email you")
# Looking back, not forward: a recap of an earlier call is no next step.
_RECAP = pattern(r"you (?:said|mentioned|told)", r"last (?:call|time|week)", r"earlier")
_HIM_OR_HER = pattern(r"him", r"her")  # a named person referred back to ("loop him in")
_NAMED = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-Z][a-z]{2,}\b")
_NOT_NAMES = frozenset({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                        "Sunday", "I'll", "I'm"} | {m.capitalize() for m in _MONTHS.split("|")})


@dataclass(frozen=True)
class NextStep:
    turn: Utterance
    text: str
    when: bool
    who: bool
    what: bool
    agreed: bool

    @property
    def concreteness(self) -> int:
        return self.when + self.who + self.what


def read_next_steps(conv: Conversation) -> tuple[list[NextStep], list[str]]:
    """The concrete next steps the rep proposed and the vague ones (sentences)."""
    steps: list[NextStep] = []
    vague: list[str] = []
    people = _People(names.third_parties(conv))
    for turn in conv.rep:
        if not (WHAT.search(turn.text) or VAGUE.search(turn.text) or INFO_ONLY.search(turn.text)):
            continue  # nothing about what happens next in this turn
        agreed: bool | None = None  # the prospect's reaction, read once it matters
        for sentence in turn.sentences:
            who = people.named_in(sentence, turn.index)
            kind = _step_kind(sentence, who)
            if kind == "vague":
                vague.append(sentence)
            elif kind == "concrete":
                if agreed is None:
                    reaction = conv.prospect_after(turn.index, limit=1)
                    agreed = bool(reaction) and agrees(reaction[0].text)
                steps.append(NextStep(turn, sentence, bool(WHEN.search(sentence)),
                                      who, True, agreed))
    return steps, vague


def _step_kind(sentence: str, who: bool) -> str | None:
    """"concrete" (a forward-looking what with a when, or with people and no vague words),
    "vague", or None (not about a next step, or a recap of an earlier call)."""
    if _RECAP.search(sentence):
        return None
    vague_words = bool(VAGUE.search(sentence))
    # the what must be more than the vague phrase itself ("I'll follow up next week")
    what = bool(WHAT.search(VAGUE.without(sentence) if vague_words else sentence))
    if INFO_ONLY.search(sentence):
        return "vague"
    # forward-looking: a commitment or a proposal, also in question form ("does Thursday work")
    forward = bool(FORWARD.search(sentence)) or is_question(sentence)
    if what and forward and (
            WHEN.search(sentence) or (not vague_words and who)):
        return "concrete"
    # a proposal in question form with no day and no people ("want to set up a demo?")
    return "vague" if vague_words or (what and is_question(sentence)) else None


@dataclass(frozen=True)
class _People:
    """Who the call names beyond the two on it (see names.py): a sentence names people with a
    role ("your CFO"), a capitalised name, a lowercase name both speakers used as one, or
    "him"/"her" once such a name has been said."""

    lowercase: dict[str, int]  # name -> index of the first turn that says it

    def named_in(self, sentence: str, turn_index: int) -> bool:
        if WHO.search(sentence) or set(_NAMED.findall(sentence)) - _NOT_NAMES:
            return True
        said = content_words(sentence)
        if any(name in said for name in self.lowercase):
            return True
        return bool(_HIM_OR_HER.search(sentence)) and any(
            first < turn_index for first in self.lowercase.values())


def score_closing(conv: Conversation, steps: list[NextStep], vague: list[str]) -> SkillScore:
    """Concrete steps: 2 + when/who/what covered (best step and the others together, so two
    steps are not worth more than one complete one) + 1 if the prospect agreed, at most 5.
    Vague only: 2. Nothing: 1."""
    if conv.ended_in_opening:
        return not_observed()
    if not steps:
        return scored(2 if vague else 1, vague)
    covered = any(s.when for s in steps) + any(s.who for s in steps) + any(s.what for s in steps)
    agreed = any(s.agreed for s in steps)
    score = 1 + covered + agreed if agreed else min(3, covered)
    ranked = sorted(steps, key=lambda s: (-s.agreed, -s.concreteness, s.turn.index))
    return scored(score, [s.text for s in ranked])
