"""Skill scoring: the Protocol, and the local adapter (rules, no vendor).

A scorer gets the transcript turns and the computed analytics and returns skill scores with
evidence, a summary, strengths and improvements. The OpenAI adapter (structured output against
a versioned rubric) plugs in behind the same Protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pitchlab.feedback import local_scorer


@dataclass(frozen=True)
class Scoring:
    scored_by: str
    rubric_version: str
    result: dict[str, Any]  # skill_scores, summary, strengths, improvements
    raw_output: dict[str, Any] | None = field(default=None)


class SkillScorer(Protocol):
    async def score(self, turns: list[dict[str, Any]], metrics: dict[str, Any], user: Any) -> Scoring: ...


class LocalSkillScorer:
    async def score(self, turns: list[dict[str, Any]], metrics: dict[str, Any], user: Any) -> Scoring:
        return Scoring("local", local_scorer.RUBRIC_VERSION, local_scorer.score_locally(turns, metrics))
