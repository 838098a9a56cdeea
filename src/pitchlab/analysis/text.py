"""Splitting speech into sentences and words, the way the analytics count them.

Memoized: the metrics and the scorer read the same sentences, so each text is split once per
analysis. ``pitchlab.analysis.clear_caches`` empties them (benchmarks call it between runs).
"""

from __future__ import annotations

import re
from functools import lru_cache

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@lru_cache(maxsize=4096)  # segment-sized keys: a few MB at most
def sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENTENCE_END.split(text) if s.strip())


@lru_cache(maxsize=4096)  # segment-sized keys: a few MB at most
def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))
