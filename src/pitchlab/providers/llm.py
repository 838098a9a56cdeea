"""Skill scoring: the Protocol, the local adapter (rules, no vendor) and the OpenAI adapter.

A scorer gets the transcript turns and the computed analytics and returns skill scores with
evidence, a summary, strengths and improvements.

The OpenAI adapter uses the official SDK: strict structured output against the rubric's JSON
schema, temperature 0, a timeout, and the SDK's own retries with backoff on 429 and 5xx. Evidence
quotes that do not appear verbatim in the rep's turns are dropped. Key order: the user's own key
from the vault, else the platform key, else the local scorer; a timeout, an exhausted retry or an
answer that does not fit the schema also falls back to the local scorer, and says so.

A call in which the rep said nothing is never sent to the model: the local scorer's "nothing to
score" report is the whole truth about it. A skill the model marks ``not_observed`` keeps no
score and no evidence, and a "scored" skill without a score counts as not observed. Metrics
that were estimated or could not be measured are not given to the model as facts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from openai import APIConnectionError, APIStatusError, APITimeoutError, AsyncOpenAI
from pydantic import BaseModel, Field, ValidationError

from pitchlab.analysis import local_scorer, rubric
from pitchlab.analysis.metrics import Metrics, measured
from pitchlab.analysis.report import SkillReport, SkillScore, is_scored, not_observed
from pitchlab.models.values import SkillStatus, Speaker, Turn
from pitchlab.security.vault import Vault, key_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scoring:
    scored_by: str
    rubric_version: str
    result: SkillReport
    raw_output: dict[str, Any] | None = field(default=None)


Turns = list[Turn]


class SkillScorer(Protocol):
    async def score(self, turns: Turns, metrics: Metrics, user: Any) -> Scoring: ...


class LocalSkillScorer:
    async def score(
        self, turns: Turns, metrics: Metrics, user: Any,  # noqa: ARG002 (SkillScorer's signature)
    ) -> Scoring:
        return Scoring("local", local_scorer.RUBRIC_VERSION,
                       local_scorer.score_locally(turns, metrics))


class _SkillOut(BaseModel):
    score: int | None = Field(ge=1, le=5)
    status: Literal["scored", "not_observed"] = "scored"
    evidence: list[str]


class _ModelAnswer(BaseModel):
    skill_scores: dict[str, _SkillOut]
    summary: str
    strengths: list[str]
    improvements: list[str]


class OpenAISkillScorer:
    def __init__(self, *, platform_key: str | None, base_url: str | None, model: str, vault: Vault,
                 timeout_seconds: float = 60.0, max_retries: int = 3) -> None:
        self._platform_key = platform_key
        self.base_url = base_url
        self.model = model
        self.vault = vault
        self.timeout_seconds = timeout_seconds
        self.max_retries = max_retries
        self.local = LocalSkillScorer()

    async def score(self, turns: Turns, metrics: Metrics, user: Any) -> Scoring:
        key = key_for(self.vault, user, "openai", self._platform_key)
        if key is None or not local_scorer.rep_said_something(turns):
            return await self.local.score(turns, metrics, user)
        client = AsyncOpenAI(api_key=key, base_url=self.base_url, timeout=self.timeout_seconds,
                             max_retries=self.max_retries)
        try:
            completion = await client.chat.completions.create(
                model=self.model,
                temperature=0,
                messages=[{"role": "system", "content": rubric.SYSTEM_PROMPT},
                          {"role": "user", "content": _call_for_model(turns, metrics)}],
                response_format={"type": "json_schema", "json_schema": {
                    "name": "sales_call_feedback", "strict": True,
                    "schema": rubric.RESPONSE_SCHEMA}},
            )
        except (APITimeoutError, APIConnectionError, APIStatusError) as exc:
            return await self._fallback(turns, metrics, user, f"{type(exc).__name__}", None)
        finally:
            await client.close()
        content = completion.choices[0].message.content or ""
        raw = {"model": completion.model, "content": content}
        try:
            answer = _ModelAnswer.model_validate_json(content)
        except ValidationError:
            return await self._fallback(turns, metrics, user, "malformed model output", raw)
        if set(answer.skill_scores) != set(rubric.SKILL_ANCHORS):
            return await self._fallback(turns, metrics, user, "model skipped a skill", raw)
        result: SkillReport = {
            "skill_scores": _verbatim_evidence_only(_observed_or_not(answer.skill_scores), turns),
            "moments": [],
            "summary": answer.summary,
            "strengths": answer.strengths,
            "improvements": answer.improvements,
        }
        return Scoring(completion.model or self.model, rubric.RUBRIC_VERSION, result, raw)

    async def _fallback(self, turns: Turns, metrics: Metrics, user: Any, reason: str,
                        raw: dict[str, Any] | None) -> Scoring:
        log.warning("scoring with %s failed (%s); using the local scorer", self.model, reason)
        local = await self.local.score(turns, metrics, user)
        return Scoring(local.scored_by, local.rubric_version,
                       {**local.result, "fallback_reason": reason}, raw)


# The metrics given to the model as facts (where they were measured). Literal names: each is a
# key of Metrics.
Fact = Literal["duration_seconds", "word_count", "talk_ratio", "pace_wpm", "questions_asked",
               "filler_words", "patience_seconds"]
FACTS: tuple[Fact, ...] = ("duration_seconds", "word_count", "talk_ratio", "pace_wpm",
                           "questions_asked", "filler_words", "patience_seconds")


def _call_for_model(turns: Turns, metrics: Metrics) -> str:
    facts = {k: metrics[k] for k in FACTS if k in metrics and measured(metrics, k)}
    return json.dumps({"mode": metrics.get("mode"), "metrics": facts,
                       "turns": [{"speaker": t["speaker"], "text": t["text"]} for t in turns]})


def _observed_or_not(skills: dict[str, _SkillOut]) -> dict[str, SkillScore]:
    """One reading of each skill: scored with a score, or not observed with neither score nor
    evidence (a "scored" skill the model left without a score is not observed)."""
    read = {skill: _skill_score(out) for skill, out in skills.items()}
    return {
        skill: scored if is_scored(scored) else not_observed()
        for skill, scored in read.items()
    }


def _skill_score(out: _SkillOut) -> SkillScore:
    return {"score": out.score, "status": SkillStatus(out.status), "evidence": list(out.evidence)}


def _verbatim_evidence_only(
    skills: dict[str, SkillScore], turns: Turns
) -> dict[str, SkillScore]:
    """Keep only quotes that the rep really said, character for character."""
    rep_text = [t["text"] for t in turns if t["speaker"] == Speaker.REP]
    return {
        skill: {**scored, "evidence": [q for q in scored["evidence"]
                                       if q.strip() and any(q in said for said in rep_text)][:3]}
        for skill, scored in skills.items()
    }
