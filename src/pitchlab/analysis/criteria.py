"""Scoring a call on a company's scorecard criteria, locally: which of the rep's sentences show
each criterion, and how strongly.

A criterion is shown by a rep sentence that matches its cues: the methodology templates'
criteria (stable slug ids, scorecards/templates.py) have hand-written cue lists; any other
criterion is matched on the content words of its name, description and anchors (stemmed, stop
words and the vocabulary every criterion shares left out), a word of its name counting double.
The score grows with the number of distinct sentences that show it (for a discovery-style
criterion, which the rep shows by asking, a question weighs double): 1 sign -> 2, 2 -> 3,
3 -> 4, 4 or more -> 5. A criterion nothing shows is ``not_observed``: no score, no evidence,
never a low score (FEEDBACK.md's rule for skills). Evidence: up to three of those sentences,
verbatim as the rep's turn stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from pitchlab.analysis.evidence import verbatim_quotes
from pitchlab.analysis.questions import is_question
from pitchlab.analysis.skills.cues import Cue, pattern
from pitchlab.analysis.text import sentences, words
from pitchlab.models.values import SkillStatus, Speaker, Turn

MAX_EVIDENCE = 3


class CriterionScore(TypedDict):
    """One criterion's verdict as the report stores it: its name and weight are copied from the
    scorecard version, so the report reads the same after the scorecard changes."""

    id: str
    name: str
    weight: float
    score: int | None
    status: SkillStatus
    evidence: list[str]


@dataclass(frozen=True)
class _Cues:
    """What shows a template criterion; ``asked``: the rep shows it by asking (a question
    weighs double)."""

    cue: Cue
    asked: bool = True


# The methodology templates' criteria, by their stable ids (scorecards/templates.py).
TEMPLATE_CUES: dict[str, _Cues] = {
    # MEDDIC
    "metrics": _Cues(pattern(
        r"how (?:much|many)", r"what (?:would|is) (?:that|it) (?:be )?worth", r"roi",
        r"return", r"per (?:month|year|week|day|hour)", r"hours?", r"percent", r"\d+\s?%",
        r"revenue", r"cost(?:s|ing)?", r"sav(?:e|es|ing|ings)", r"measur\w*", r"target",
        r"numbers?", r"quantif\w*", r"kpis?", r"metrics?")),
    "economic-buyer": _Cues(pattern(
        r"who (?:else )?(?:signs?|approves?|decides?|owns?|controls?)", r"sign(?:s)? off",
        r"approv\w*", r"budget holder", r"final (?:say|decision|call)", r"economic buyer",
        r"(?:cfo|ceo|vp|director|head of)", r"controls? the (?:budget|money|spend)")),
    "decision-criteria": _Cues(pattern(
        r"criteria", r"how will you (?:decide|choose|compare|evaluate|judge)",
        r"compar\w*", r"evaluat\w*", r"what matters most", r"most important",
        r"requirements?", r"must[- ]haves?", r"deal[- ]breakers?", r"priorit\w*")),
    "decision-process": _Cues(pattern(
        r"process", r"next steps?", r"timeline", r"steps?", r"who (?:else )?is involved",
        r"procurement", r"legal", r"sign(?:ed|ature)", r"by when", r"deadline",
        r"decision (?:date|by)", r"approvals?")),
    "identify-pain": _Cues(pattern(
        r"challeng\w*", r"problems?", r"pain\w*", r"struggl\w*", r"frustrat\w*",
        r"what(?:'s| is) (?:not working|getting in the way|hard)", r"issues?",
        r"cost(?:s|ing)? you", r"impact", r"what happens (?:if|when)")),
    "champion": _Cues(pattern(
        r"champion", r"internally", r"on your side", r"advocate", r"help (?:me|us) (?:get|reach)",
        r"who (?:else )?(?:would|should|needs to) (?:be|see|hear)", r"bring (?:in|along)",
        r"introduc\w*", r"your team", r"sell (?:this|it) internally")),
    # SPIN
    "situation": _Cues(pattern(
        r"currently", r"today", r"right now", r"at the moment", r"how do you (?:handle|manage|do)",
        r"what (?:tools?|system|process)", r"how many", r"tell me about", r"how (?:is|are) .{0,30}"
        r"(?:set up|organi[sz]ed|run)", r"walk me through")),
    "problem": _Cues(pattern(
        r"problems?", r"difficult\w*", r"challeng\w*", r"hard", r"struggl\w*", r"frustrat\w*",
        r"dissatisf\w*", r"(?:not|isn't|aren't) working", r"issues?", r"complain\w*")),
    "implication": _Cues(pattern(
        r"what happens (?:if|when)", r"effect", r"impact", r"consequen\w*", r"lead(?:s)? to",
        r"cost(?:s|ing)? you", r"how (?:much|many)", r"affect\w*", r"knock[- ]on",
        r"what does that mean for")),
    "need-payoff": _Cues(pattern(
        r"how would (?:it|that) help", r"what would (?:it|that) (?:mean|be worth|change)",
        r"if you could", r"would (?:it|that) be (?:useful|valuable|helpful)", r"benefit\w*",
        r"worth", r"what difference", r"imagine", r"valuable")),
    # BANT
    "budget": _Cues(pattern(
        r"budget\w*", r"spend\w*", r"invest\w*", r"pric\w*", r"afford\w*", r"cost\w*",
        r"how much", r"funds?", r"funding", r"allocat\w*", r"paying")),
    "authority": _Cues(pattern(
        r"who (?:else )?(?:signs?|approves?|decides?|makes? the (?:decision|call))",
        r"decision[- ]?makers?", r"sign(?:s)? off", r"approv\w*", r"final (?:say|decision|call)",
        r"who (?:else )?(?:is|would be|needs to be) involved", r"your (?:boss|manager)",
        r"authori\w*")),
    "need": _Cues(pattern(
        r"need\w*", r"problems?", r"challeng\w*", r"pain\w*", r"looking for", r"goals?",
        r"trying to (?:solve|fix|achieve)", r"why now", r"what prompted", r"requirements?")),
    "timeline": _Cues(pattern(
        r"timeline", r"timeframe", r"time frame", r"when (?:do|would|are|will) you",
        r"by when", r"deadline", r"(?:this|next) (?:quarter|month|year|week)", r"q[1-4]",
        r"go[- ]live", r"how soon", r"start date", r"roll ?out", r"launch")),
    # Challenger
    "teach": _Cues(pattern(
        r"what we(?:'ve| have)? (?:see|seen|found|learned)", r"most (?:companies|teams|of our)",
        r"research", r"data shows?", r"studies", r"surpris\w*", r"insight\w*",
        r"did you know", r"common mistake", r"(?:teams|companies) like yours", r"on average",
        r"benchmark\w*"), asked=False),
    "tailor": _Cues(pattern(
        r"for you", r"for your (?:team|company|business|situation)", r"you mentioned",
        r"you said", r"in your case", r"given (?:your|what you)", r"based on what you",
        r"(?:your|you) (?:told me|described)"), asked=False),
    "take-control": _Cues(pattern(
        r"let's", r"i (?:suggest|recommend|propose)", r"the next step", r"next steps?",
        r"can we (?:book|schedule|set|get)", r"i'll send", r"here's what", r"calendar",
        r"(?:monday|tuesday|wednesday|thursday|friday)", r"agree(?:d)? (?:to|on)",
        r"push back", r"to be (?:honest|direct|frank)"), asked=False),
}

# Function words and the vocabulary every criterion's text shares (the rep, the buyer, what a
# rep "asks" or "never" does): none of them tells one criterion from another.
_STOP_TEXT = """
a about above after again against all also an and any are as at be because been before being
below between both but by can could did do does doing down during each either else ever every
few for from further had has have having he her here hers him his how i if in into is it its
itself just like make makes made many may me might more most much must my no nor not now of off
on once one only or other our out over own per same she should so some such than that the their
them then there these they this those through to too under until up upon very was we were what
when where which while who whom why will with without would yet you your yours e g eg ie etc
rep reps buyer buyers prospect prospects customer customers call calls ask asks asked asking
never always gets get got gives give talks talk says say said tells tell uses use using way ways
thing things something someone well good clear clearly instead without partly fully rather
still even just own does doesn't don't isn't
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_NAME_WEIGHT, _TEXT_WEIGHT, _SHOWN_AT = 2, 1, 2
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A crude English stem (enough to meet "budgets", "budgeting" and "budget" as one word)."""
    word = word.replace("'", "")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in _STOP_WORDS and len(w) > 2
            and not w.isdigit()}


@dataclass(frozen=True)
class _Custom:
    """A criterion without a template: the stems of its name (weigh double) and of its other
    text."""

    name: frozenset[str]
    text: frozenset[str]

    @classmethod
    def of(cls, criterion: Mapping[str, Any]) -> _Custom:
        name = content_stems(criterion.get("name", ""))
        anchors = criterion.get("anchors") or {}
        text = content_stems(" ".join([criterion.get("description", ""), *anchors.values()]))
        return cls(frozenset(name), frozenset(text - name))

    def shown_by(self, sentence: str) -> bool:
        said = content_stems(sentence)
        weight = (_NAME_WEIGHT * len(said & self.name) + _TEXT_WEIGHT * len(said & self.text))
        return weight >= _SHOWN_AT


def rep_sentences(turns: Iterable[Turn]) -> list[str]:
    """Every sentence the rep said, in order (each a stretch of one stored turn)."""
    return [s for t in turns if t["speaker"] == Speaker.REP for s in sentences(t["text"])]


def score_criterion(criterion: Mapping[str, Any], said: Sequence[str]) -> CriterionScore:
    """One criterion on the rep's sentences ``said``."""
    template = TEMPLATE_CUES.get(criterion["id"])
    if template is not None:
        shown = [s for s in said if template.cue.search(s)]
        asked = template.asked
    else:
        custom = _Custom.of(criterion)
        shown = [s for s in said if custom.shown_by(s)]
        asked = False
    distinct = list(dict.fromkeys(shown))
    strength = sum(2 if asked and is_question(s) else 1 for s in distinct)
    verdict: CriterionScore = {
        "id": criterion["id"], "name": criterion["name"],
        "weight": float(criterion.get("weight", 1)),
        "score": None, "status": SkillStatus.NOT_OBSERVED, "evidence": [],
    }
    if strength:
        # questions first: for a discovery criterion they are the stronger evidence
        ranked = sorted(distinct, key=lambda s: not (asked and is_question(s)))
        verdict.update({"score": min(5, 1 + strength), "status": SkillStatus.SCORED,
                        "evidence": ranked[:MAX_EVIDENCE]})
    return verdict


def score_criteria(turns: Sequence[Turn], criteria: Sequence[Mapping[str, Any]]
                   ) -> list[CriterionScore]:
    """Each criterion of the scorecard, in its order, scored on the rep's side of the call;
    evidence kept only as the rep's turns store it."""
    said = rep_sentences(turns)
    scored = [score_criterion(criterion, said) for criterion in criteria]
    for verdict in scored:
        verdict["evidence"] = verbatim_quotes(verdict["evidence"], turns, MAX_EVIDENCE)
    return scored

