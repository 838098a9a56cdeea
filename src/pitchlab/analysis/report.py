"""The shape of a skill report, shared by every scorer (the local rules and the language model):
five skills scored 1-5 with verbatim evidence or ``not_observed``, coaching moments tied to a
turn, a summary, strengths and improvements. The feedback report's ``metrics`` object is the
call's metrics plus this (API.md, "Feedback metrics")."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from pitchlab.models.values import SkillStatus

SKILLS = ("discovery", "objection_handling", "rapport", "value_articulation", "closing")
Skill = Literal["discovery", "objection_handling", "rapport", "value_articulation", "closing"]
MomentKind = Literal["strength", "improvement"]


class SkillScore(TypedDict):
    """One skill's verdict: 1..5 with quotes of the rep, or not observed (no score, no quote)."""

    score: int | None
    status: SkillStatus
    evidence: list[str]


class Moment(TypedDict):
    """A point of the call worth coaching: what the rep said at turn ``turn_index`` (``quote``,
    verbatim in that turn's stored text), why it matters, and a line the rep could have said
    (for a strength: a way to build on it)."""

    turn_index: int
    start_ms: int
    skill: Skill
    kind: MomentKind
    quote: str
    why: str
    try_instead: str


class SkillReport(TypedDict):
    """What a scorer says of a call, beside its metrics."""

    skill_scores: dict[str, SkillScore]
    moments: list[Moment]
    summary: str
    strengths: list[str]
    improvements: list[str]
    fallback_reason: NotRequired[str]  # why the model's answer was replaced by this one
    # the metrics' not_measured list, with the skills this scorer cannot read in the call's
    # language ("skill_scores.discovery"): the report shows this list in place of the metrics'
    not_measured: NotRequired[list[str]]


def scored(score: int, evidence: list[str]) -> SkillScore:
    """A scored skill: the score kept within 1..5, at most three quotes."""
    return {"score": max(1, min(5, score)), "status": SkillStatus.SCORED, "evidence": evidence[:3]}


def not_observed() -> SkillScore:
    return {"score": None, "status": SkillStatus.NOT_OBSERVED, "evidence": []}


def is_scored(skill: SkillScore) -> bool:
    return skill.get("status", "scored") == "scored" and skill.get("score") is not None


def scores_of(skills: dict[str, SkillScore]) -> dict[str, int]:
    """The scored skills' scores, in ``SKILLS`` order."""
    return {skill: score for skill in SKILLS if skill in skills
            and is_scored(skills[skill]) and (score := skills[skill]["score"]) is not None}
