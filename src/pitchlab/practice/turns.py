"""Transcript turns: timing, corrections and the plain-text rendering. Pure functions.

No turn's length is measured: the stream and the text path only know when a turn reached the
server. The rep's words arrive when they are done (typed and sent, or transcribed after they were
spoken); the prospect's when it starts to answer. A turn's length is estimated from its words at
conversational pace (150 words a minute) and then fitted to that clock: a turn never starts
before the previous one, never overlaps it, and never ends after the moment the next one arrived
or the call ended. Metrics made of these lengths are marked ``estimated`` (analysis/metrics.py).
"""

from __future__ import annotations

import re

from pitchlab.models.values import Speaker, Turn

WORDS_PER_SECOND = 2.5
MIN_TURN_MS = 400
SPEAKER_LABELS = {Speaker.REP: "Rep", Speaker.PROSPECT: "Prospect"}
# Whose turns reach the server when they are over (all other turns: when they begin).
DONE_ON_ARRIVAL = frozenset({Speaker.REP})
# Everything str.splitlines() breaks on: inside a rendered turn, each would start a new line.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")


def spoken_ms(text: str) -> int:
    return max(MIN_TURN_MS, int(len(text.split()) / WORDS_PER_SECOND * 1000))


def _turn(speaker: Speaker, text: str, start: int, end: int) -> Turn:
    return {"speaker": speaker, "text": text, "start_ms": start, "end_ms": end}


def add_turn(turns: list[Turn], speaker: Speaker, text: str, now_ms: int) -> list[Turn]:
    """The transcript with one more turn, which reached the server ``now_ms`` after the call
    started. A new list; the turns given are not changed."""
    earlier = list(turns)
    last = earlier[-1] if earlier else None
    now = max(now_ms, last["start_ms"] if last else 0, 0)  # the clock never runs backwards
    length = spoken_ms(text)
    if speaker not in DONE_ON_ARRIVAL:
        if last is not None and last["end_ms"] > now:
            # it was cut short by this turn: the estimate was longer than the real turn
            earlier[-1] = {**last, "end_ms": now}
        return [*earlier, _turn(speaker, text, now, now + length)]
    start = max(0, now - length)
    if last is not None and start < last["end_ms"]:
        if last["speaker"] in DONE_ON_ARRIVAL:
            start = min(last["end_ms"], now)  # its end is when it arrived: a fact, kept
        else:
            # both lengths are estimates that do not fit between the previous turn's start
            # and now: they share that time in proportion to their estimates
            last_length = max(0, last["end_ms"] - last["start_ms"])
            room = now - last["start_ms"]
            start = last["start_ms"] + room * last_length // (last_length + length)
            earlier[-1] = {**last, "end_ms": start}
    return [*earlier, _turn(speaker, text, start, now)]


def fit_to_call(turns: list[Turn], duration_ms: int) -> list[Turn]:
    """The turns of a call that lasted ``duration_ms``: nothing is said after it ended. The
    tail is cut at the end (a reply still running; a call ended as of its last activity, a
    moment before its last turn was stamped); a timeline that ran ahead of the clock
    (transcripts stored before turns were fitted to it) is scaled down to fit."""
    duration_ms = max(0, duration_ms)
    latest = max((t["end_ms"] for t in turns), default=0)
    if latest <= duration_ms:
        return list(turns)
    if all(t["start_ms"] <= duration_ms for t in turns[:-1]):
        return [{**t, "start_ms": min(t["start_ms"], duration_ms),
                 "end_ms": min(t["end_ms"], duration_ms)} for t in turns]
    return [{**t, "start_ms": t["start_ms"] * duration_ms // latest,
             "end_ms": t["end_ms"] * duration_ms // latest} for t in turns]


def apply_correction(turns: list[Turn], corrected: str) -> list[Turn]:
    """The prospect was interrupted: its last turn becomes what was really said, and ends no
    later than the turn that followed it."""
    for index in range(len(turns) - 1, -1, -1):
        if turns[index]["speaker"] == Speaker.PROSPECT:
            fixed: Turn = {**turns[index], "text": corrected}
            fixed["end_ms"] = fixed["start_ms"] + spoken_ms(corrected)
            if index + 1 < len(turns):
                fixed["end_ms"] = max(fixed["start_ms"],
                                      min(fixed["end_ms"], turns[index + 1]["start_ms"]))
            return [*turns[:index], fixed, *turns[index + 1:]]
    return turns


def render_text(turns: list[Turn]) -> str:
    """One line per turn. Line breaks inside a turn become spaces, so that a rep who types a
    line break and "Prospect: ..." cannot put words in the prospect's mouth. The turns
    themselves keep the text as it was said."""
    return "\n".join(
        f"{SPEAKER_LABELS[t['speaker']]}: {_LINE_BREAKS.sub(' ', t['text'])}" for t in turns
    )


def rep_lines(turns: list[Turn]) -> list[str]:
    return [t["text"] for t in turns if t["speaker"] == Speaker.REP]
