"""The prospect a voice provider plays, and the offline one: a deterministic, rule-based buyer.

``ProspectBrief`` is all a voice provider is told about a call's prospect: the persona (who they
are, what they reveal and object, what wins them), the scenario it comes from and the bar for a
next step. Practice builds it from its scenario library; providers never see a scenario.

The offline prospect plays a brief's persona with no vendor at all. It reads each rep line for
a few moves that sales coaches look for (open discovery questions, acknowledging an objection,
pitching, asking for a next step) and keeps a little state: how interested it is, which pains it
has revealed, which objection is open. Good discovery raises interest, handled objections raise
it further, premature pitching earns a brush-off, and a next step is agreed only when the
brief's bar is met. The same rep lines always get the same replies, so tests and demos are
repeatable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORDS = re.compile(r"[a-z']+")
_OPEN_STARTS = ("what", "how", "why", "tell me", "walk me", "describe", "help me understand",
                "can you tell", "could you tell", "can you walk", "could you walk")
_CLOSED_STARTS = ("is ", "are ", "do ", "does ", "did ", "can ", "could ", "would ", "will ",
                  "have ", "has ", "should ", "who ", "when ", "where ", "which ")
_EMPATHY = ("i understand", "that makes sense", "makes sense", "fair", "i hear you",
            "totally get", "appreciate", "good point", "that's reasonable", "understandable")
_CLOSE = ("next step", "meeting", "book ", "schedule", "calendar", "demo", "pilot", "trial",
          "follow up", "follow-up", "set up time", "would you be open", "does thursday",
          "next week", "invite")
_PITCH = ("our product", "our platform", "we offer", "we help", "our solution", "we can",
          "our tool", "feature", "we provide", "pitchlab")
# the languages a scenario may be played in (API.md: en, es, de, fr), named for a hosted agent
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French"}
_GREETING = ("hi", "hello", "hey", "good morning", "good afternoon", "thanks for taking")


@dataclass(frozen=True)
class Persona:
    name: str
    title: str
    company: str
    personality: str
    pains: tuple[str, ...]
    objections: tuple[str, ...]
    win_condition: str
    opening_line: str
    # what the prospect says when the rep earns a next step
    agreement: str
    # said when the rep pitches before understanding anything
    brush_off: str
    # what the prospect knows of its own company (a company scenario's background)
    background: str = ""


@dataclass(frozen=True)
class ProspectBrief:
    """Who the prospect of one call is. ``scenario_id`` is told to a hosted agent;
    ``interest_needed`` is how many good moves (questions that uncover pains, handled
    objections) earn the next step."""

    scenario_id: str
    persona: Persona
    interest_needed: int
    # BCP 47 tag of the language the prospect speaks (a hosted agent is told it)
    language: str = "en"

    def agent_prompt(self) -> str:
        """The instructions of a hosted voice agent that plays the persona."""
        p = self.persona
        return (
            f"You are {p.name}, {p.title} at {p.company}, on a sales call you did not ask for. "
            + (f"About your company: {p.background}. " if p.background else "")
            + f"Personality: {p.personality}. "
            f"Your real problems, which you only reveal when asked good open questions: "
            f"{'; '.join(p.pains)}. "
            "Objections you raise, one at a time, when the rep pitches: "
            f"{'; '.join(p.objections)}. "
            f"You agree to a concrete next step only when {p.win_condition}. "
            "Stay in character, keep answers short and spoken, never mention that you are an AI "
            "or that this is a role-play. "
            f"Speak only {LANGUAGE_NAMES.get(self.language, self.language)}."
        )


@dataclass
class ProspectState:
    interest: int = 0
    pains_revealed: int = 0
    objections_raised: int = 0
    objection_open: bool = False
    agreed: bool = False


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    return any(phrase in text for phrase in phrases)


def classify(line: str) -> set[str]:
    """The moves in one rep line: open_question, question, empathy, close, pitch, greeting."""
    text = " ".join(_WORDS.findall(line.lower()))
    moves = set()
    if text.startswith(_OPEN_STARTS) or (_has(text, (" what ", " how ", " why ")) and "?" in line):
        moves.add("open_question")
    elif line.strip().endswith("?") or text.startswith(_CLOSED_STARTS):
        moves.add("question")
    if _has(text, _EMPATHY):
        moves.add("empathy")
    if _has(text + " ", _CLOSE):
        moves.add("close")
    if _has(text, _PITCH):
        moves.add("pitch")
    if text.startswith(_GREETING):
        moves.add("greeting")
    return moves


class Prospect:
    def __init__(self, brief: ProspectBrief) -> None:
        self.brief = brief
        self.persona = brief.persona
        self.state = ProspectState()

    def opening(self) -> str:
        return self.persona.opening_line

    def reply(self, rep_line: str) -> str:
        moves = classify(rep_line)
        state = self.state
        if state.agreed:
            return "We're all set then. Send me the invite and an agenda."
        if "close" in moves:
            return self._answer_close()
        if state.objection_open and "empathy" in moves:
            state.objection_open = False
            state.interest += 1
            return self._after_handled_objection(moves)
        if "open_question" in moves:
            return self._reveal_pain()
        if "pitch" in moves:
            return self._answer_pitch()
        if "question" in moves:
            return "Yes, more or less. Why do you ask?"
        if "greeting" in moves:
            return "Hi. What's this about?"
        if state.objection_open:
            return "You haven't really answered my concern."
        return "Mm-hm. And why would that matter to me?"

    def _answer_close(self) -> str:
        state = self.state
        if state.interest >= self.brief.interest_needed:
            state.agreed = True
            return self.persona.agreement
        objection = self._next_objection()
        if objection:
            return objection
        return "I'm not ready to commit to anything yet. Help me understand why this matters."

    def _reveal_pain(self) -> str:
        state = self.state
        if state.pains_revealed < len(self.persona.pains):
            pain = self.persona.pains[state.pains_revealed]
            state.pains_revealed += 1
            state.interest += 1
            return f"Well, since you ask: {pain}."
        return "I think I've told you the main things. What would you suggest?"

    def _answer_pitch(self) -> str:
        state = self.state
        if state.pains_revealed == 0:
            return self.persona.brush_off
        objection = self._next_objection()
        if objection:
            return objection
        state.interest += 1
        return "Okay. That could help with what I described."

    def _after_handled_objection(self, moves: set[str]) -> str:
        if "open_question" in moves:
            return "Fair enough. " + self._reveal_pain()
        return "Fair enough, I can see where you're going. Go on."

    def _next_objection(self) -> str | None:
        state = self.state
        if state.objections_raised < len(self.persona.objections):
            objection = self.persona.objections[state.objections_raised]
            state.objections_raised += 1
            state.objection_open = True
            return objection
        return None


def replay(brief: ProspectBrief, rep_lines: list[str]) -> Prospect:
    """A prospect that has heard ``rep_lines`` already (its state rebuilt from the transcript)."""
    prospect = Prospect(brief)
    for line in rep_lines:
        prospect.reply(line)
    return prospect
