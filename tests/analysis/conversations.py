"""Hand-written calls for the skill rules' tests: ``call("R: ...", "P: ...")`` times each turn
at 400 ms a word with a 600 ms gap, as a measured (not practice) call would be."""

from __future__ import annotations

from typing import Any

from pitchlab.analysis.local_scorer import score_locally
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.analysis.skills.conversation import Conversation

WHO = {"R": "rep", "P": "prospect"}


def call(*lines: str, overlap_ms: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """Turns from "R: text" / "P: text" lines; ``overlap_ms[i]``: turn i starts that many ms
    before the previous turn ended (an interruption)."""
    turns: list[dict[str, Any]] = []
    clock = 0
    for index, line in enumerate(lines):
        speaker, text = line.split(": ", 1)
        start = clock - (overlap_ms or {}).get(index, 0)
        end = start + 400 * max(1, len(text.split()))
        turns.append({"speaker": WHO[speaker], "text": text, "start_ms": start, "end_ms": end})
        clock = end + 600
    return turns


def conversation(*lines: str, **kwargs: Any) -> Conversation:
    return Conversation(call(*lines, **kwargs))  # type: ignore[arg-type]


def report(turns: list[dict[str, Any]], **metrics_kwargs: Any) -> dict[str, Any]:
    metrics = compute_metrics(turns, **metrics_kwargs)  # type: ignore[arg-type]
    return dict(score_locally(turns, metrics))  # type: ignore[arg-type]


def score(turns: list[dict[str, Any]], skill: str) -> int | None:
    value: int | None = report(turns)["skill_scores"][skill]["score"]
    return value
