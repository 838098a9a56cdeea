"""Reference bands by call type: what a good call of that kind looks like, shown beside the
numbers as context (never as a pass/fail rule) and used by the coaching notes.

A discovery call is judged by how much the prospect talks; a demo or a closing call by how
clearly the rep shows and asks. Counts that grow with the call's length are given per 10
minutes (a 5-minute cold call cannot ask 11 questions, a 60-minute discovery call should ask
more). Each band names its source; where no published figure exists the band is Pitchlab's
coaching guideline and says so.
"""

from __future__ import annotations

from typing import Literal, TypedDict

CallType = Literal["cold_call", "discovery", "demo", "objection_handling", "closing"]
CALL_TYPES: tuple[CallType, ...] = ("cold_call", "discovery", "demo", "objection_handling",
                                    "closing")
DEFAULT_CALL_TYPE: CallType = "discovery"


class Band(TypedDict, total=False):
    min: float
    max: float
    target: float
    source: str


GONG_DISCOVERY = ("Gong Labs, discovery calls of top-performing reps: the rep talks about 43% "
                  "of the time and asks 11-14 questions in a call")
GONG_COLD = ("Gong Labs, successful cold calls: the rep talks about 55% of the time, and the "
             "calls are short (a few minutes)")
GONG_MONOLOGUE = ("Gong Labs: top performers' longest uninterrupted stretch stays under about "
                  "1.5 minutes on discovery calls")
PACE = ("Speech-rate research on comprehension: about 140-170 words a minute is easiest to "
        "follow in conversation")
FILLERS = "Pitchlab coaching guideline: fewer than about 4 filler words per 100 words"
PATIENCE = ("Gong Labs: top performers pause about 0.6-1 s before answering, shorter pauses "
            "read as not listening")
GUIDELINE = "Pitchlab coaching guideline for this call type (no published benchmark)"

_COMMON: dict[str, Band] = {
    "pace_wpm": {"min": 140, "max": 170, "source": PACE},
    "filler_words_per_100_words": {"max": 4, "source": FILLERS},
    "patience_seconds": {"min": 0.6, "target": 1.0, "source": PATIENCE},
}

_BY_TYPE: dict[CallType, dict[str, Band]] = {
    "discovery": {
        "talk_ratio": {"min": 0.35, "max": 0.5, "target": 0.43, "source": GONG_DISCOVERY},
        # 11-14 questions over a 30-45 minute discovery call
        "questions_per_10_minutes": {"min": 2.5, "max": 5.0, "source": GONG_DISCOVERY},
        "longest_monologue_seconds": {"max": 90, "source": GONG_MONOLOGUE},
    },
    "cold_call": {
        "talk_ratio": {"min": 0.45, "max": 0.65, "target": 0.55, "source": GONG_COLD},
        "questions_per_10_minutes": {"min": 4.0, "max": 12.0, "source": GUIDELINE},
        "longest_monologue_seconds": {"max": 60, "source": GUIDELINE},
    },
    "demo": {
        "talk_ratio": {"min": 0.5, "max": 0.7, "target": 0.6, "source": GUIDELINE},
        "questions_per_10_minutes": {"min": 1.5, "max": 5.0, "source": GUIDELINE},
        "longest_monologue_seconds": {"max": 150, "source": GUIDELINE},
    },
    "objection_handling": {
        "talk_ratio": {"min": 0.35, "max": 0.55, "target": 0.45, "source": GUIDELINE},
        "questions_per_10_minutes": {"min": 2.5, "max": 6.0, "source": GUIDELINE},
        "longest_monologue_seconds": {"max": 75, "source": GUIDELINE},
    },
    "closing": {
        "talk_ratio": {"min": 0.4, "max": 0.6, "target": 0.5, "source": GUIDELINE},
        "questions_per_10_minutes": {"min": 1.5, "max": 5.0, "source": GUIDELINE},
        "longest_monologue_seconds": {"max": 90, "source": GUIDELINE},
    },
}


def call_type_of(value: str | None) -> CallType:
    """A scenario's call type, or the default for a call without one (a retired scenario)."""
    for call_type in CALL_TYPES:
        if value == call_type:
            return call_type
    return DEFAULT_CALL_TYPE


def reference_for(call_type: str | None) -> dict[str, Band]:
    """The bands for ``call_type`` (a copy: a report may be changed without changing these)."""
    bands = {**_COMMON, **_BY_TYPE[call_type_of(call_type)]}
    return {name: Band(**band) for name, band in bands.items()}


def within_band(value: float, band: Band) -> bool:
    return band.get("min", float("-inf")) <= value <= band.get("max", float("inf"))
