"""A call's feedback report, composed in one place, and the offline scoring of transcripts.

``report_body`` is the contract's ``metrics`` object (API.md, "Feedback metrics"): the call's
metrics, who scored it with which rubric, and the scorer's skills, moments and notes. The
worker (``service.generate``) stores it and ``pitchlab score`` prints it: both call it, so the
two cannot drift.

``pitchlab score`` reads transcripts in the transcript endpoint's shape (``{"turns": [{speaker,
text, start_ms, end_ms}]}``, its other fields ignored) with an optional ``call_type``,
``duration_seconds`` and ``mode``, one per ``.json`` file or one per line of a ``.jsonl`` file.
A transcript that cannot be read (an unreadable file, bad JSON, a wrong shape, a turn without
text) is an ``InvalidTranscript`` naming where it was, and the others are still read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pitchlab.analysis.bands import CallType
from pitchlab.analysis.metrics import Metrics, compute_metrics
from pitchlab.analysis.report import scores_of
from pitchlab.models.values import Speaker, Turn
from pitchlab.providers.llm import Scoring, SkillScorer

INVALID_TRANSCRIPT = "invalid_transcript"


@dataclass(frozen=True)
class ScorecardUsed:
    """The scorecard version a call was scored on, as the report names it."""

    id: str
    name: str
    version: int
    methodology: str


def report_body(metrics: Metrics, scoring: Scoring, *, ai_withdrawn: bool = False,
                scorecard: ScorecardUsed | None = None, source: str = "practice",
                ) -> dict[str, Any]:
    """The feedback report: ``metrics`` with who scored it and what they said. ``ai_withdrawn``:
    the rep withdrew the ai_analysis consent, which is why it was scored locally. ``scorecard``:
    the version the criteria were scored on; the report copies its name and each criterion's
    name and weight, so it reads the same after the scorecard changes (null: none). ``source``:
    "practice" (a role-play) or "recording" (a real call uploaded)."""
    body: dict[str, Any] = {**metrics, "source": source, "scored_by": scoring.scored_by,
                            "rubric_version": scoring.rubric_version, **scoring.result,
                            "scorecard": None}
    if scorecard is not None and scoring.criteria is not None:
        body["scorecard"] = {"id": scorecard.id, "name": scorecard.name,
                             "version": scorecard.version, "methodology": scorecard.methodology,
                             "criteria": scoring.criteria}
    if ai_withdrawn:
        body["ai_analysis_consent"] = "withdrawn"
    return body


def overall_score(report: dict[str, Any]) -> Decimal | None:
    """The call's one number, 1..5 to two places (stored in ``feedback.score`` for assignments,
    analytics and the leaderboard): the scorecard's weighted score when the report has one with
    a scored criterion, else the mean of the scored standard skills; None when nothing was
    scored."""
    scorecard = report.get("scorecard") or {}
    weighted = [(c["score"], c.get("weight", 1)) for c in scorecard.get("criteria", [])
                if c.get("score") is not None and c.get("weight", 1) > 0]
    if weighted:
        mean = sum(score * weight for score, weight in weighted) / sum(w for _, w in weighted)
    else:
        scores = list(scores_of(report.get("skill_scores", {})).values())
        if not scores:
            return None
        mean = sum(scores) / len(scores)
    return Decimal(str(mean)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class _TurnIn(BaseModel):
    """A turn as the transcript endpoint returns it (strict: "12" is not a time, nor null a
    text)."""

    model_config = ConfigDict(strict=True)

    speaker: Speaker
    text: str = Field(min_length=1)
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> _TurnIn:
        if self.end_ms < self.start_ms:
            raise ValueError("a turn cannot end before it starts")
        return self


class TranscriptIn(BaseModel):
    """A transcript to score: the endpoint's shape, plus what the call would have told the
    worker (its scenario's call type, its duration, "voice" or "text" for a practice call)."""

    model_config = ConfigDict(strict=True)

    turns: list[_TurnIn]
    call_type: CallType | None = None
    duration_seconds: float | None = Field(default=None, ge=0)
    mode: Literal["voice", "text"] | None = None
    # what the call was held in: fillers and questions are counted by that language's rules
    language: Literal["en", "es", "de", "fr"] = "en"

    def stored_turns(self) -> list[Turn]:
        return [Turn(speaker=t.speaker, text=t.text, start_ms=t.start_ms, end_ms=t.end_ms)
                for t in self.turns]


@dataclass(frozen=True)
class InvalidTranscript:
    """Why the transcript at ``path`` (at ``line`` of a .jsonl) was not scored."""

    path: str
    line: int | None
    reason: str

    @property
    def source(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    @property
    def message(self) -> str:
        return f"{self.source}: {self.reason}"

    @property
    def details(self) -> dict[str, Any]:
        return {"path": self.path} if self.line is None else {"path": self.path,
                                                               "line": self.line}


Read = TranscriptIn | InvalidTranscript


def read_transcripts(paths: Iterable[str]) -> Iterator[Read]:
    """Each transcript of ``paths`` in order, or why it cannot be scored: a ``.jsonl`` file
    gives one per non-blank line, any other file one."""
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            yield InvalidTranscript(path, None, f"cannot be read ({_why_unreadable(exc)})")
            continue
        if path.endswith(".jsonl"):
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    yield _parsed(line, path, number)
        else:
            yield _parsed(text, path, None)


def _why_unreadable(exc: OSError | UnicodeDecodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return exc.strerror or type(exc).__name__


def _parsed(document: str, path: str, line: int | None) -> Read:
    try:
        return TranscriptIn.model_validate_json(document)
    except ValidationError as exc:
        return InvalidTranscript(path, line, _summary(exc))


def _summary(exc: ValidationError, shown: int = 3) -> str:
    """What is wrong, where, in a line: at most ``shown`` of pydantic's errors."""
    errors = exc.errors(include_url=False, include_input=False)
    if errors[0]["type"] == "json_invalid":
        return f"not valid JSON ({errors[0]['msg'].removeprefix('Invalid JSON: ')})"
    parts = [f"{'.'.join(str(p) for p in error['loc']) or 'transcript'}: {error['msg']}"
             for error in errors[:shown]]
    more = f" (and {len(errors) - shown} more)" if len(errors) > shown else ""
    return "; ".join(parts) + more


async def score_transcript(transcript: TranscriptIn, scorer: SkillScorer) -> dict[str, Any]:
    """The feedback report of ``transcript``, as the worker would store it for such a call (no
    user: the scorer uses the platform's key, if any)."""
    turns = transcript.stored_turns()
    metrics = compute_metrics(turns, transcript.duration_seconds, mode=transcript.mode,
                              call_type=transcript.call_type, language=transcript.language)
    scoring = await scorer.score(turns, metrics, None)
    return report_body(metrics, scoring)
