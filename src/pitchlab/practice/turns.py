"""Transcript turns: timing, corrections and the plain-text rendering. Pure functions.

Text turns carry no audio, so their timing is estimated from the words at conversational pace
(150 words a minute), laid one after another on the session's clock.
"""

from __future__ import annotations

import re
from typing import Any

WORDS_PER_SECOND = 2.5
MIN_TURN_MS = 400
SPEAKER_LABELS = {"rep": "Rep", "prospect": "Prospect"}
# Everything str.splitlines() breaks on: inside a rendered turn, each would start a new line.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


def spoken_ms(text: str) -> int:
    return max(MIN_TURN_MS, int(len(text.split()) / WORDS_PER_SECOND * 1000))


def next_turn(
    turns: list[dict[str, Any]], speaker: str, text: str, now_ms: int, pause_ms: int = 0
) -> dict[str, Any]:
    """A turn that starts no earlier than ``now_ms`` and after the previous turn (plus a pause)."""
    last_end = turns[-1]["end_ms"] if turns else 0
    start = max(now_ms, last_end + pause_ms)
    return {"speaker": speaker, "text": text, "start_ms": start, "end_ms": start + spoken_ms(text)}


def apply_correction(turns: list[dict[str, Any]], corrected: str) -> list[dict[str, Any]]:
    """The prospect was interrupted: its last turn becomes what was really said."""
    for index in range(len(turns) - 1, -1, -1):
        if turns[index]["speaker"] == "prospect":
            fixed = dict(turns[index], text=corrected)
            fixed["end_ms"] = fixed["start_ms"] + spoken_ms(corrected)
            return [*turns[:index], fixed, *turns[index + 1:]]
    return turns


def render_text(turns: list[dict[str, Any]]) -> str:
    """One line per turn. Line breaks inside a turn become spaces, so that a rep who types a
    line break and "Prospect: ..." cannot put words in the prospect's mouth. The turns
    themselves keep the text as it was said."""
    return "\n".join(
        f"{SPEAKER_LABELS[t['speaker']]}: {_LINE_BREAKS.sub(' ', t['text'])}" for t in turns
    )


def rep_lines(turns: list[dict[str, Any]]) -> list[str]:
    return [t["text"] for t in turns if t["speaker"] == "rep"]
