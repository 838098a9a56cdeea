"""Sentiment with VADER (compound score, -1..1).

VADER is built for short text; fed a whole call it slows down with the square of its length
(each word re-scans the text for negations). A speaker's sentiment is therefore the mean of the
compound scores of their turns (consecutive turns of one speaker taken together).
"""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()  # loads its lexicon once


def compound(text: str) -> float:
    if not text.strip():
        return 0.0
    return _analyzer().polarity_scores(text)["compound"]


def word_valences() -> dict[str, float]:
    """VADER's lexicon (word -> valence, about -4..4), loaded once: for rules that need a
    turn's rough mood many times over (``skills.conversation.valence``)."""
    lexicon: dict[str, float] = _analyzer().lexicon
    return lexicon


def mean(scores: list[float]) -> float:
    return round(sum(scores) / len(scores), 4) if scores else 0.0
