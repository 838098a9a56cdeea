"""Bodies of the feedback endpoint.

``metrics`` is documented field by field (API.md, "Feedback metrics") so that clients can rely
on it; reports stored before a field existed get its empty value (``moments: []``) or leave it
out (``call_type``), and fields added later pass through (``extra="allow"``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from pitchlab.models.values import FeedbackStatus, SkillStatus


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TalkTimeOut(_Open):
    rep: float
    prospect: float


class WordCountOut(_Open):
    rep: int
    prospect: int


class FillerWordsOut(_Open):
    count: int
    per_100_words: float
    by_word: dict[str, int] = Field(description="Each filler (FEEDBACK.md) and how often.")


class SentimentOut(_Open):
    rep: float
    prospect: float
    prospect_trend: float = Field(description="The prospect's last third minus first third.")


class SkillScoreOut(_Open):
    score: int | None = Field(description="1..5; null when not observed.")
    status: SkillStatus = Field(
        description="`not_observed`: the call gave no occasion for the skill (no objection "
        "raised, the offer never discussed): no score, no evidence, and no advice about it.")
    evidence: list[str] = Field(
        description="Up to three quotes, each verbatim in one stored turn of the rep.")


class MomentOut(_Open):
    turn_index: int = Field(description="The turn (0-based, in the transcript's `turns`).")
    start_ms: int
    skill: str
    kind: Literal["strength", "improvement"]
    quote: str = Field(description="Verbatim in the turn `turn_index` as stored.")
    why: str = Field(description="Why it matters, in this call.")
    try_instead: str = Field(description="A line the rep could have said (or build on).")


class CriterionScoreOut(SkillScoreOut):
    id: str = Field(description="The criterion's id in the scorecard.")
    name: str = Field(description="Its name in the version the call was scored with.")
    weight: float


class ScorecardResultOut(_Open):
    id: UUID
    name: str | None = None
    methodology: str | None = None
    version: int = Field(description="The scorecard version the call was scored with: the "
                         "criteria's names and weights are that version's, so a report reads "
                         "the same after the scorecard changes.")
    criteria: list[CriterionScoreOut]


class FeedbackMetricsOut(_Open):
    """The feedback report (API.md "Feedback metrics"; the counts per FEEDBACK.md)."""

    version: int
    scored_by: str | None = Field(default=None, description='"local" or the model\'s name.')
    rubric_version: str | None = None
    mode: str | None = Field(default=None, description='"voice" or "text" for a practice call; '
                             'null for a recording (its times were measured).')
    language: str | None = Field(default=None, description="The call's language (en, es, de, "
                                 "fr): fillers and questions are counted by its rules; what "
                                 "cannot be measured in it is listed in `not_measured`.")
    source: str | None = Field(default=None, description='"practice" (a role-play) or '
                               '"recording" (an uploaded real call); absent in reports made '
                               'before recordings.')
    call_type: str | None = Field(
        default=None, description="The scenario's call type (cold_call, discovery, demo, "
        "objection_handling, closing): it picks the reference bands.")
    duration_seconds: float
    talk_time_seconds: TalkTimeOut
    talk_ratio: float = Field(description="The rep's share of the talk time, 0..1.")
    word_count: WordCountOut
    pace_wpm: float
    filler_words: FillerWordsOut
    longest_monologue_seconds: float
    longest_customer_story_seconds: float
    questions_asked: int
    questions_per_10_minutes: float | None = None
    interactivity: float = Field(description="Speaker switches per minute.")
    patience_seconds: float = Field(description="Mean pause before the rep answers.")
    sentiment: SentimentOut
    skill_scores: dict[str, SkillScoreOut] = Field(
        default_factory=dict, description="discovery, objection_handling, rapport, "
        "value_articulation, closing.")
    moments: list[MomentOut] = Field(
        default_factory=list, description="Coaching moments tied to a turn of the call.")
    scorecard: ScorecardResultOut | None = Field(
        default=None, description="Each criterion of the scenario's scorecard, scored like the "
        "skills; null when the scenario has no scorecard.")
    summary: str | None = None
    strengths: list[str] = Field(default_factory=list)
    improvements: list[str] = Field(default_factory=list)
    estimated: list[str] = Field(
        default_factory=list, description="Metrics estimated rather than measured.")
    not_measured: list[str] = Field(
        default_factory=list, description="Metrics this call could not have (their value 0).")
    reference: dict[str, dict[str, float | str]] = Field(
        default_factory=dict, description="The reference bands for the call type: per metric "
        "some of `min`, `max`, `target`, and the `source` of the figures.")


class FeedbackOut(BaseModel):
    status: FeedbackStatus
    metrics: FeedbackMetricsOut | None = None
    created_at: datetime | None = None
    error: str | None = None
