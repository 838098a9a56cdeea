"""Sentiment with VADER (compound score, -1..1)."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # loads its lexicon once


def compound(text: str) -> float:
    if not text.strip():
        return 0.0
    return round(_analyzer().polarity_scores(text)["compound"], 4)
