"""The call's numbers, about the rep unless a metric is named for the prospect.

Input: turns ``{"speaker": "rep"|"prospect", "text", "start_ms", "end_ms"}`` in call order.
Consecutive turns of one speaker form one segment (a monologue does not end because the
transcriber cut it in two), and a turn's end is a sentence's end; talk time sums the turns
themselves, so silence is excluded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pitchlab.analysis import fillers, questions, sentiment
from pitchlab.analysis.text import words

METRICS_VERSION = 1
SPEAKERS = ("rep", "prospect")
# Reference bands from sales-call research, shown beside the numbers as context, not as rules.
REFERENCE = {
    "talk_ratio": {"target": 0.43},
    "pace_wpm": {"min": 140, "max": 170},
    "filler_words_per_100_words": {"max": 4},
    "questions_asked": {"min": 11, "max": 14},
    "patience_seconds": {"target": 1.0},
}


@dataclass(frozen=True)
class Segment:
    speaker: str
    text: str
    start_ms: int
    end_ms: int

    @property
    def seconds(self) -> float:
        return max(0, self.end_ms - self.start_ms) / 1000


def segments(turns: list[dict[str, Any]]) -> list[Segment]:
    merged: list[Segment] = []
    for turn in turns:
        text = " ".join(turn["text"].split())
        if merged and merged[-1].speaker == turn["speaker"]:
            last = merged[-1]
            ended = last.text if last.text.endswith((".", "?", "!")) or not last.text else last.text + "."
            merged[-1] = Segment(last.speaker, f"{ended} {text}".strip(), last.start_ms,
                                 max(last.end_ms, turn["end_ms"]))
        else:
            merged.append(Segment(turn["speaker"], text, turn["start_ms"], turn["end_ms"]))
    return merged


def _talk_seconds(turns: list[dict[str, Any]], speaker: str) -> float:
    return sum(max(0, t["end_ms"] - t["start_ms"]) for t in turns if t["speaker"] == speaker) / 1000


def _sentiment(segs: list[Segment]) -> dict[str, float]:
    """Mean segment sentiment per speaker, and the prospect's trend: the last third of the call
    (by time) minus the first third. Each segment is scored once."""
    scored = [(seg, sentiment.compound(seg.text)) for seg in segs]
    prospect = [(seg, scores) for seg, scores in scored if seg.speaker == "prospect"]
    trend = 0.0
    if segs:
        start, end = segs[0].start_ms, max(s.end_ms for s in segs)
        third = (end - start) / 3
        first = [score for seg, score in prospect if seg.start_ms < start + third]
        last = [score for seg, score in prospect if seg.start_ms >= end - third]
        trend = round(sentiment.mean(last) - sentiment.mean(first), 4)
    return {
        "rep": sentiment.mean([score for seg, score in scored if seg.speaker == "rep"]),
        "prospect": sentiment.mean([score for _, score in prospect]),
        "prospect_trend": trend,
    }


def _patience(segs: list[Segment]) -> float:
    gaps = [max(0, cur.start_ms - prev.end_ms) / 1000
            for prev, cur in zip(segs, segs[1:])
            if prev.speaker == "prospect" and cur.speaker == "rep"]
    return round(sum(gaps) / len(gaps), 3) if gaps else 0.0


def compute_metrics(turns: list[dict[str, Any]], duration_seconds: float | None = None) -> dict[str, Any]:
    segs = segments(turns)
    talk = {speaker: round(_talk_seconds(turns, speaker), 3) for speaker in SPEAKERS}
    rep_segments = [s.text for s in segs if s.speaker == "rep"]
    word_count = {speaker: sum(len(words(s.text)) for s in segs if s.speaker == speaker)
                  for speaker in SPEAKERS}
    # Counted per segment: a sentence never runs on from one turn of the rep into the next.
    found = sum((fillers.count_fillers(text) for text in rep_segments), Counter())
    filler_total = sum(found.values())
    span = ((max(s.end_ms for s in segs) - segs[0].start_ms) / 1000) if segs else 0.0
    switches = sum(1 for a, b in zip(segs, segs[1:]) if a.speaker != b.speaker)
    total_talk = talk["rep"] + talk["prospect"]
    return {
        "version": METRICS_VERSION,
        "duration_seconds": round(duration_seconds if duration_seconds is not None else span, 3),
        "talk_time_seconds": talk,
        "talk_ratio": round(talk["rep"] / total_talk, 4) if total_talk else 0.0,
        "word_count": word_count,
        "pace_wpm": round(word_count["rep"] / (talk["rep"] / 60), 1) if talk["rep"] else 0.0,
        "filler_words": {
            "count": filler_total,
            "per_100_words": round(filler_total / word_count["rep"] * 100, 2) if word_count["rep"] else 0.0,
            "by_word": dict(sorted(found.items())),
        },
        "longest_monologue_seconds": max((s.seconds for s in segs if s.speaker == "rep"), default=0.0),
        "longest_customer_story_seconds": max(
            (s.seconds for s in segs if s.speaker == "prospect"), default=0.0),
        "questions_asked": sum(len(questions.questions_in(text)) for text in rep_segments),
        "interactivity": round(switches / (span / 60), 2) if span > 0 else 0.0,
        "patience_seconds": _patience(segs),
        "sentiment": _sentiment(segs),
        "reference": REFERENCE,
    }
