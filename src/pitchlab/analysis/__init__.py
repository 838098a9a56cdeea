"""Conversation analytics and skill scoring: pure functions over timed transcript turns. No I/O,
no domain: the feedback domain runs them, the scorers (providers/llm.py) score with them."""

from __future__ import annotations

from pitchlab.analysis.languages import words_in_any_language
from pitchlab.analysis.lexicon import tokenize
from pitchlab.analysis.questions import is_question
from pitchlab.analysis.text import sentences, words


def clear_caches() -> None:
    """Forget every memoized split and question test (benchmarks start each run cold)."""
    sentences.cache_clear()
    words.cache_clear()
    is_question.cache_clear()
    tokenize.cache_clear()
    words_in_any_language.cache_clear()
