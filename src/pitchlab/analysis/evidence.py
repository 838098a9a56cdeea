"""Evidence that is verbatim on the turns as stored.

A quote shown to a rep must be something they said, character for character, in one turn:
speech-to-text splits a sentence across turns and leaves double spaces and line breaks, and a
model (or a rule working on normalised text) quotes it with single spaces. ``verbatim_in``
finds the stored stretch that says the quote, whatever whitespace separates its words there,
and returns that stretch (never the quote as given). A quote that no single turn says is
dropped (``locate`` returns None): evidence is never pieced together from two turns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pitchlab.models.values import Turn

# Quotes may differ from the stored text in their typographic quotes and apostrophes only.
_SAME_CHARACTER = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def verbatim_in(quote: str, text: str) -> str | None:
    """The stretch of ``text`` that says ``quote`` (words and punctuation as given, any run of
    whitespace between words), exactly as stored; None if ``text`` does not say it."""
    words = quote.translate(_SAME_CHARACTER).split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(word) for word in words)
    found = re.search(pattern, text.translate(_SAME_CHARACTER))
    return text[found.start():found.end()] if found else None


def locate(
    quote: str, turns: Sequence[Turn], *, speaker: str | None = "rep",
    turn_index: int | None = None,
) -> tuple[int, str] | None:
    """The turn that says ``quote`` and the stored stretch: in ``turn_index`` only when given
    (a moment names its turn), else the first turn of ``speaker`` (None: anyone's)."""
    if turn_index is not None:
        candidates: Sequence[int] = (
            [turn_index] if 0 <= turn_index < len(turns) else []
        )
    else:
        candidates = range(len(turns))
    for index in candidates:
        turn = turns[index]
        if speaker is not None and turn["speaker"] != speaker:
            continue
        stretch = verbatim_in(quote, turn["text"])
        if stretch is not None:
            return index, stretch
    return None


def verbatim_quotes(quotes: Sequence[str], turns: Sequence[Turn], limit: int = 3) -> list[str]:
    """The quotes a rep's turn says, as stored, without repeats; the others dropped."""
    kept: list[str] = []
    for quote in quotes:
        found = locate(quote, turns)
        if found is not None and found[1] not in kept:
            kept.append(found[1])
    return kept[:limit]
