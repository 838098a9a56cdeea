"""The call's numbers, about the rep unless a metric is named for the prospect.

Input: turns ``{"speaker": "rep"|"prospect", "text", "start_ms", "end_ms"}`` in call order.
Consecutive turns of one speaker form one segment (a monologue does not end because the
transcriber cut it in two), and a turn's end is a sentence's end; talk time sums the turns
themselves, so silence is excluded.

What is measured and what is not: ``mode`` says how the turns were timed. In a practice call
("voice" or "text") the server learns when each turn arrived, never how long it was spoken, and
a turn's length is estimated from its words (practice/turns.py); the metrics made of turn
lengths are listed in ``estimated``. A typed call was never spoken: it has no pace and no pause
before an answer (0, listed in ``not_measured``), and its other clock-made numbers, exchanges per
minute included, are estimates. Without a mode the times are taken as measured. Metrics a call
gives nothing to compute from (a pace without words, a pause before answers never given) are 0
and listed in ``not_measured`` too, and so are those the call's ``language`` cannot give
(pitchlab.analysis.languages: sentiment outside English; fillers and questions in a language
without rules): never a guess made with English words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, TypedDict

from pitchlab.analysis import sentiment
from pitchlab.analysis.bands import Band, CallType, call_type_of, reference_for
from pitchlab.analysis.languages import Analysis, analysis_for
from pitchlab.models.values import Turn

METRICS_VERSION = 2  # 2: call_type, questions_per_10_minutes, reference bands by call type
# Made of turn lengths, which no practice call measures (see the module's docstring).
FROM_TURN_LENGTHS = ("talk_time_seconds", "talk_ratio", "pace_wpm", "longest_monologue_seconds",
                     "longest_customer_story_seconds", "patience_seconds")
# What a typed call does not have at all.
NOT_IN_TEXT: tuple[Literal["pace_wpm", "patience_seconds"], ...] = ("pace_wpm", "patience_seconds")
ESTIMATED = {
    "voice": FROM_TURN_LENGTHS,
    # a typed call's clock says when messages were sent: its exchanges per minute are not a
    # spoken conversation's either
    "text": (*(n for n in FROM_TURN_LENGTHS if n not in NOT_IN_TEXT), "interactivity"),
}


class TalkTime(TypedDict):
    rep: float
    prospect: float


class WordCount(TypedDict):
    rep: int
    prospect: int


class FillerWords(TypedDict):
    count: int
    per_100_words: float
    by_word: dict[str, int]


class Sentiment(TypedDict):
    rep: float
    prospect: float
    prospect_trend: float


class Metrics(TypedDict):
    """What ``compute_metrics`` returns (and the feedback report is made of)."""

    version: int
    mode: str | None
    call_type: CallType
    language: str
    duration_seconds: float
    talk_time_seconds: TalkTime
    talk_ratio: float
    word_count: WordCount
    pace_wpm: float
    filler_words: FillerWords
    longest_monologue_seconds: float
    longest_customer_story_seconds: float
    questions_asked: int
    questions_per_10_minutes: float
    interactivity: float
    patience_seconds: float
    sentiment: Sentiment
    estimated: list[str]
    reference: dict[str, Band]
    not_measured: list[str]


@dataclass(frozen=True)
class Segment:
    speaker: str
    text: str
    start_ms: int
    end_ms: int

    @property
    def seconds(self) -> float:
        return max(0, self.end_ms - self.start_ms) / 1000


def segments(turns: list[Turn]) -> list[Segment]:
    merged: list[Segment] = []
    for turn in turns:
        text = " ".join(turn["text"].split())
        if merged and merged[-1].speaker == turn["speaker"]:
            last = merged[-1]
            ended = (last.text if last.text.endswith((".", "?", "!")) or not last.text
                     else last.text + ".")
            merged[-1] = Segment(last.speaker, f"{ended} {text}".strip(), last.start_ms,
                                 max(last.end_ms, turn["end_ms"]))
        else:
            merged.append(Segment(turn["speaker"], text, turn["start_ms"], turn["end_ms"]))
    return merged


def _talk_seconds(turns: list[Turn], speaker: str) -> float:
    return sum(max(0, t["end_ms"] - t["start_ms"]) for t in turns if t["speaker"] == speaker) / 1000


def within(turns: list[Turn], duration_seconds: float | None) -> list[Turn]:
    """The turns cut to the call: nothing counts that was "said" after it ended."""
    if duration_seconds is None:
        return turns
    end = int(duration_seconds * 1000)
    return [{**t, "start_ms": min(t["start_ms"], end), "end_ms": min(t["end_ms"], end)}
            for t in turns]


def _sentiment(segs: list[Segment]) -> Sentiment:
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


def _word_count(segs: list[Segment], speaker: str, lang: Analysis) -> int:
    return sum(len(lang.words(s.text)) for s in segs if s.speaker == speaker)


def _answer_gaps(segs: list[Segment]) -> list[float]:
    return [max(0, cur.start_ms - prev.end_ms) / 1000
            for prev, cur in pairwise(segs)
            if prev.speaker == "prospect" and cur.speaker == "rep"]


def _not_measured(metrics: Metrics, segs: list[Segment], span: float,
                  lang: Analysis) -> list[str]:
    """The metrics this call gave nothing to compute from, or its language cannot give (their
    value is a 0 by convention)."""
    talk, words_of = metrics["talk_time_seconds"], metrics["word_count"]
    missing = {
        "talk_ratio": not (talk["rep"] + talk["prospect"]),
        "pace_wpm": not (talk["rep"] and words_of["rep"]),
        "filler_words.per_100_words": not words_of["rep"],
        "patience_seconds": not _answer_gaps(segs),
        "interactivity": span <= 0,
        "questions_per_10_minutes": metrics["duration_seconds"] <= 0,
        "sentiment.rep": not words_of["rep"],
        "sentiment.prospect": not words_of["prospect"],
    }
    if metrics["mode"] == "text":
        missing.update(dict.fromkeys(NOT_IN_TEXT, True))
    missing.update(dict.fromkeys(lang.not_measured, True))
    return [name for name, is_missing in missing.items() if is_missing]


def _fillers(rep_segments: list[str], lang: Analysis) -> Counter[str]:
    # Counted per segment: a sentence never runs on from one turn of the rep into the next.
    if lang.count_fillers is None:
        return Counter()
    return sum((lang.count_fillers(text) for text in rep_segments), Counter())


def _questions_asked(rep_segments: list[str], lang: Analysis) -> int:
    if lang.questions_in is None:
        return 0
    return sum(len(lang.questions_in(text)) for text in rep_segments)


def compute_metrics(turns: list[Turn], duration_seconds: float | None = None, *,
                    mode: str | None = None, call_type: str | None = None,
                    language: str = "en") -> Metrics:
    """``mode``: "voice" or "text" for a practice call (turn lengths estimated), None for turns
    whose times were measured. ``call_type`` picks the reference bands (the scenario's; None:
    discovery). ``language``: the call's BCP 47 tag, which picks the words fillers and questions
    are counted with (pitchlab.analysis.languages)."""
    lang = analysis_for(language)
    turns = within(turns, duration_seconds)
    segs = segments(turns)
    talk = TalkTime(rep=round(_talk_seconds(turns, "rep"), 3),
                    prospect=round(_talk_seconds(turns, "prospect"), 3))
    rep_segments = [s.text for s in segs if s.speaker == "rep"]
    word_count = WordCount(rep=_word_count(segs, "rep", lang),
                           prospect=_word_count(segs, "prospect", lang))
    found = _fillers(rep_segments, lang)
    filler_total = sum(found.values())
    span = ((max(s.end_ms for s in segs) - segs[0].start_ms) / 1000) if segs else 0.0
    switches = sum(1 for a, b in pairwise(segs) if a.speaker != b.speaker)
    total_talk = talk["rep"] + talk["prospect"]
    gaps = _answer_gaps(segs)
    # rounded once, so that a rate made of it matches the duration the report shows
    duration = round(duration_seconds if duration_seconds is not None else span, 3)
    asked = _questions_asked(rep_segments, lang)
    metrics: Metrics = {
        "version": METRICS_VERSION,
        "mode": mode,
        "call_type": call_type_of(call_type),
        "language": lang.language,
        "duration_seconds": duration,
        "talk_time_seconds": talk,
        "talk_ratio": round(talk["rep"] / total_talk, 4) if total_talk else 0.0,
        "word_count": word_count,
        "pace_wpm": round(word_count["rep"] / (talk["rep"] / 60), 1) if talk["rep"] else 0.0,
        "filler_words": {
            "count": filler_total,
            "per_100_words": (round(filler_total / word_count["rep"] * 100, 2)
                              if word_count["rep"] else 0.0),
            "by_word": dict(sorted(found.items())),
        },
        "longest_monologue_seconds": max(
            (s.seconds for s in segs if s.speaker == "rep"), default=0.0),
        "longest_customer_story_seconds": max(
            (s.seconds for s in segs if s.speaker == "prospect"), default=0.0),
        "questions_asked": asked,
        "questions_per_10_minutes": round(asked / (duration / 600), 2) if duration > 0 else 0.0,
        "interactivity": round(switches / (span / 60), 2) if span > 0 else 0.0,
        "patience_seconds": round(sum(gaps) / len(gaps), 3) if gaps else 0.0,
        "sentiment": _sentiment(segs) if lang.reads_sentiment else Sentiment(
            rep=0.0, prospect=0.0, prospect_trend=0.0),
        "estimated": list(ESTIMATED.get(mode or "", ())),
        "reference": reference_for(call_type),
        "not_measured": [],  # worked out below, from the numbers above
    }
    if mode == "text":
        for name in NOT_IN_TEXT:
            metrics[name] = 0.0  # a typed call has neither: not 0, absent
    metrics["not_measured"] = _not_measured(metrics, segs, span, lang)
    return metrics


def measured(metrics: Metrics, name: str) -> bool:
    """Whether ``name`` was measured in this call (not estimated, not missing)."""
    return name not in metrics.get("estimated", ()) and name not in metrics.get("not_measured", ())
