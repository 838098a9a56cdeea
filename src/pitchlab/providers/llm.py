"""Skill scoring: the Protocol, the local adapter (rules, no vendor) and the OpenAI adapter.

A scorer gets the transcript turns and the computed analytics and returns skill scores with
evidence, coaching moments, a summary, strengths and improvements.

The OpenAI adapter uses the official SDK against any OpenAI-compatible server (OpenAI, or a local
Ollama / vLLM / llama.cpp server: ``PITCHLAB_OPENAI_BASE_URL``, ``PITCHLAB_OPENAI_MODEL``):
temperature 0, a timeout, and the SDK's own retries with backoff on 429 and 5xx. The model gets
the call type, the measured metrics with their reference bands, and the turns, each with its
index (``{"index", "speaker", "start_ms", "text"}``), so that a moment can name its turn.

Structured output (``PITCHLAB_OPENAI_RESPONSE_FORMAT``): "auto" (the default) asks for strict
``json_schema`` output against ``rubric.RESPONSE_SCHEMA``; a server that refuses it (a 400 or 422
naming response_format or json_schema, as llama.cpp and vLLM builds without strict schemas
answer) is asked once more in JSON mode (``{"type": "json_object"}``, the schema pasted into the
system prompt), and the scorer remembers it, so later calls go straight to JSON mode. Either way
the answer is validated by the same pydantic model. "json_schema" never falls back (a refusal is
an error, scored locally); "json_object" uses JSON mode from the start (for a server that accepts
a schema but ignores it).

Nothing the model says is shown unless the call says it: an evidence quote is kept only where a
rep's turn says it (the stored stretch is kept, double spaces and line breaks included); a moment
only where the rep turn it names says its quote, and only for a skill that was scored (its
``start_ms`` is that turn's). Key order: the user's own key from the vault, else the platform
key, else the local scorer; a timeout, an exhausted retry or an answer that does not fit the
schema also falls back to the local scorer, and says so.

A call in which the rep said nothing is never sent to the model: the local scorer's "nothing to
score" report is the whole truth about it. A skill the model marks ``not_observed`` keeps no
score and no evidence, and a "scored" skill without a score counts as not observed. Metrics
that were estimated or could not be measured are not given to the model as facts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from openai import APIConnectionError, APIStatusError, APITimeoutError, AsyncOpenAI
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, Field, ValidationError

from pitchlab.analysis import local_scorer, rubric
from pitchlab.analysis.criteria import CriterionScore, score_criteria
from pitchlab.analysis.evidence import locate, verbatim_quotes
from pitchlab.analysis.metrics import Metrics, measured
from pitchlab.analysis.report import (
    Moment,
    MomentKind,
    Skill,
    SkillReport,
    SkillScore,
    is_scored,
    not_observed,
)
from pitchlab.metrics import provider_call
from pitchlab.models.values import SkillStatus, Speaker, Turn
from pitchlab.security.vault import Vault, key_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scoring:
    scored_by: str
    rubric_version: str
    result: SkillReport
    raw_output: dict[str, Any] | None = field(default=None)
    # the scorecard's criteria, in its order, when the call was scored on one
    criteria: list[CriterionScore] | None = field(default=None)


Turns = list[Turn]
# A scorecard version's criteria: {id, name, description, weight, anchors {"1", "3", "5"}}.
Criteria = Sequence[Mapping[str, Any]]


class SkillScorer(Protocol):
    async def score(self, turns: Turns, metrics: Metrics, user: Any,
                    criteria: Criteria | None = None) -> Scoring: ...


class LocalSkillScorer:
    async def score(
        self, turns: Turns, metrics: Metrics, user: Any,  # noqa: ARG002 (SkillScorer's signature)
        criteria: Criteria | None = None,
    ) -> Scoring:
        return Scoring("local", local_scorer.RUBRIC_VERSION,
                       local_scorer.score_locally(turns, metrics),
                       criteria=None if criteria is None else score_criteria(turns, criteria))


ResponseFormat = Literal["auto", "json_schema", "json_object"]
# What a server without strict schemas says when refusing one (llama.cpp: 'response_format type
# must be one of "text" or "json_object"'; vLLM and others name json_schema).
_SCHEMA_REFUSAL_WORDS = ("response_format", "json_schema", "response format", "json schema")


class _SkillOut(BaseModel):
    score: int | None = Field(ge=1, le=5)
    status: Literal["scored", "not_observed"] = "scored"
    evidence: list[str]


class _MomentOut(BaseModel):
    turn_index: int
    skill: Skill
    kind: MomentKind
    quote: str
    why: str
    try_instead: str


class _ModelAnswer(BaseModel):
    """``rubric.RESPONSE_SCHEMA`` as pydantic: what every answer, strict or JSON mode, must be."""

    skill_scores: dict[str, _SkillOut]
    moments: list[_MomentOut]
    summary: str
    strengths: list[str]
    improvements: list[str]
    # asked for only when the call has a scorecard; JSON mode may leave it out
    criteria_scores: dict[str, _SkillOut] = Field(default_factory=dict)


class OpenAISkillScorer:
    def __init__(self, *, platform_key: str | None, base_url: str | None, model: str, vault: Vault,
                 timeout_seconds: float = 60.0, max_retries: int = 3,
                 response_format: ResponseFormat = "auto") -> None:
        self._platform_key = platform_key
        self.base_url = base_url
        self.model = model
        self.vault = vault
        self.timeout_seconds = timeout_seconds
        self.max_retries = max_retries
        self.response_format = response_format
        # Learnt on the first refusal in "auto": this server has no strict schemas.
        self.json_mode = response_format == "json_object"
        self.local = LocalSkillScorer()

    async def score(self, turns: Turns, metrics: Metrics, user: Any,
                    criteria: Criteria | None = None) -> Scoring:
        key = key_for(self.vault, user, "openai", self._platform_key)
        if key is None or not local_scorer.rep_said_something(turns):
            return await self.local.score(turns, metrics, user, criteria)
        client = AsyncOpenAI(api_key=key, base_url=self.base_url, timeout=self.timeout_seconds,
                             max_retries=self.max_retries)
        try:
            completion = await self._complete(client, _call_for_model(turns, metrics, criteria),
                                              criteria or ())
        except (APITimeoutError, APIConnectionError, APIStatusError) as exc:
            return await self._fallback(turns, metrics, user, criteria,
                                        f"{type(exc).__name__}", None)
        finally:
            await client.close()
        content = completion.choices[0].message.content or ""
        raw = {"model": completion.model, "content": content,
               "response_format": "json_object" if self.json_mode else "json_schema"}
        try:
            answer = _ModelAnswer.model_validate_json(content)
        except ValidationError:
            return await self._fallback(turns, metrics, user, criteria,
                                        "malformed model output", raw)
        if set(answer.skill_scores) != set(rubric.SKILL_ANCHORS):
            return await self._fallback(turns, metrics, user, criteria,
                                        "model skipped a skill", raw)
        return Scoring(completion.model or self.model, rubric.RUBRIC_VERSION,
                       verified_report(answer, turns), raw,
                       criteria=None if criteria is None
                       else verified_criteria(answer.criteria_scores, turns, criteria))

    async def _complete(self, client: AsyncOpenAI, call: str, criteria: Criteria
                        ) -> ChatCompletion:
        """Strict schema unless this server is known to lack it; a refusal in "auto" is asked
        once more in JSON mode, and remembered."""
        if not self.json_mode:
            try:
                return await self._ask(client, call, criteria, strict=True)
            except APIStatusError as exc:
                if self.response_format != "auto" or not refuses_json_schema(exc):
                    raise
                log.warning("%s at %s refused a strict JSON schema (%s); using JSON mode from "
                            "now on", self.model, self.base_url or "OpenAI", exc.status_code)
                self.json_mode = True
        return await self._ask(client, call, criteria, strict=False)

    async def _ask(self, client: AsyncOpenAI, call: str, criteria: Criteria, *, strict: bool
                   ) -> ChatCompletion:
        if strict:
            system = rubric.system_prompt(criteria)
            response_format: Any = {"type": "json_schema", "json_schema": {
                "name": "sales_call_feedback", "strict": True,
                "schema": rubric.response_schema(criteria)}}
        else:
            system = rubric.json_mode_prompt(criteria)
            response_format = {"type": "json_object"}
        async with provider_call("openai"):
            return await client.chat.completions.create(
                model=self.model,
                temperature=0,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": call}],
                response_format=response_format,
            )

    async def _fallback(self, turns: Turns, metrics: Metrics, user: Any,
                        criteria: Criteria | None, reason: str,
                        raw: dict[str, Any] | None) -> Scoring:
        log.warning("scoring with %s failed (%s); using the local scorer", self.model, reason)
        local = await self.local.score(turns, metrics, user, criteria)
        return Scoring(local.scored_by, local.rubric_version,
                       {**local.result, "fallback_reason": reason}, raw, local.criteria)


def refuses_json_schema(exc: APIStatusError) -> bool:
    """Whether the server said it cannot do strict structured output (not any other 400)."""
    if exc.status_code not in (400, 422):
        return False
    said = f"{exc.message} {json.dumps(exc.body, default=str)}".lower()
    return any(word in said for word in _SCHEMA_REFUSAL_WORDS)


# The metrics given to the model as facts (where they were measured). Literal names: each is a
# key of Metrics.
Fact = Literal["duration_seconds", "word_count", "talk_ratio", "pace_wpm", "questions_asked",
               "questions_per_10_minutes", "longest_monologue_seconds", "filler_words",
               "patience_seconds"]
FACTS: tuple[Fact, ...] = ("duration_seconds", "word_count", "talk_ratio", "pace_wpm",
                           "questions_asked", "questions_per_10_minutes",
                           "longest_monologue_seconds", "filler_words", "patience_seconds")
# A reference band named otherwise than the fact it is context for.
_FACT_OF_BAND = {"filler_words_per_100_words": "filler_words"}


def _call_for_model(turns: Turns, metrics: Metrics, criteria: Criteria | None = None) -> str:
    """The call as the model reads it: the call type, the measured facts and the bands for
    them (a band beside an estimate would invite a verdict on a guess), the indexed turns, and
    the scorecard's criteria when it has one."""
    facts = {k: metrics[k] for k in FACTS if k in metrics and measured(metrics, k)}
    bands = {name: band for name, band in metrics.get("reference", {}).items()
             if _FACT_OF_BAND.get(name, name) in facts}
    call: dict[str, Any] = {
        "call_type": metrics.get("call_type"), "mode": metrics.get("mode"),
        "metrics": facts, "reference": bands,
        "turns": [{"index": i, "speaker": t["speaker"], "start_ms": t["start_ms"],
                   "text": t["text"]} for i, t in enumerate(turns)],
    }
    if criteria:
        call["scorecard_criteria"] = [
            {key: c.get(key) for key in ("id", "name", "description", "weight", "anchors")}
            for c in criteria]
    return json.dumps(call)


def verified_report(answer: _ModelAnswer, turns: Sequence[Turn]) -> SkillReport:
    """The model's answer with only what the call says: skills observed or not, evidence and
    moments verbatim in the rep's turns."""
    skills = _verbatim_evidence_only(_observed_or_not(answer.skill_scores), turns)
    return {
        "skill_scores": skills,
        "moments": verified_moments(answer.moments, turns, skills),
        "summary": answer.summary,
        "strengths": answer.strengths,
        "improvements": answer.improvements,
    }


def verified_criteria(
    answered: dict[str, _SkillOut], turns: Sequence[Turn], criteria: Criteria
) -> list[CriterionScore]:
    """Each criterion of the scorecard, in its order, as the model scored it, with only what
    the call says (observed or not, evidence verbatim in the rep's turns); an id the scorecard
    lacks is dropped, and a criterion the model left out (JSON mode cannot enforce the keys) is
    scored by the local rules rather than shown as not observed, which would be a claim the
    model never made."""
    verified = _verbatim_evidence_only(_observed_or_not(
        {c["id"]: answered[c["id"]] for c in criteria if c["id"] in answered}), turns)
    missing = [c for c in criteria if c["id"] not in verified]
    local = {c["id"]: c for c in score_criteria(turns, missing)}
    return [
        local[c["id"]] if c["id"] in local else
        {"id": c["id"], "name": c["name"], "weight": float(c.get("weight", 1)),
         **verified[c["id"]]}
        for c in criteria
    ]


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
    skills: dict[str, SkillScore], turns: Sequence[Turn]
) -> dict[str, SkillScore]:
    """Keep only quotes that a rep's turn says, as that turn stores them (at most three)."""
    return {
        skill: {**scored, "evidence": verbatim_quotes(scored["evidence"], turns)}
        for skill, scored in skills.items()
    }


def verified_moments(
    moments: Sequence[_MomentOut], turns: Sequence[Turn], skills: dict[str, SkillScore]
) -> list[Moment]:
    """The moments whose quote the rep turn they name says (kept as stored, with that turn's
    start), of a skill that was scored; the others dropped: a quote from another turn, from the
    prospect or from nowhere, an index out of range, a moment of a skill not observed."""
    kept: list[Moment] = []
    for moment in moments:
        skill = skills.get(moment.skill)
        if skill is None or not is_scored(skill):
            continue
        found = locate(moment.quote, turns, speaker=Speaker.REP, turn_index=moment.turn_index)
        if found is None:
            continue
        index, stretch = found
        verified: Moment = {
            "turn_index": index, "start_ms": turns[index]["start_ms"], "skill": moment.skill,
            "kind": moment.kind, "quote": stretch, "why": moment.why.strip(),
            "try_instead": moment.try_instead.strip(),
        }
        if verified not in kept:
            kept.append(verified)
    return kept[:rubric.MAX_MOMENTS]
