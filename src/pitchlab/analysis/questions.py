"""Questions the rep asked, with or without a question mark (speech-to-text often drops it).

A sentence is a question when it ends with "?", or when it opens like one: a question word
(what, how, why, when, where, who, which, whose) not used as an exclamation ("what a day",
"how nice"), "how about", or an auxiliary verb followed by a subject ("do you", "is it",
"could we", "would they"), after any spoken lead-in ("so", "and", "okay"...).
"""

from __future__ import annotations

from functools import lru_cache

from pitchlab.analysis.text import sentences, words

_WH = {"what", "how", "why", "when", "where", "who", "which", "whose", "whom"}
_AUX = {"do", "does", "did", "is", "are", "was", "were", "can", "could", "would", "will",
        "should", "have", "has", "had", "may", "might", "shall", "am", "isn't", "aren't",
        "don't", "doesn't", "didn't", "won't", "wouldn't", "couldn't", "can't", "shouldn't"}
_SUBJECTS = {"you", "we", "i", "it", "they", "he", "she", "that", "this", "there", "your",
             "the", "anyone", "someone"}
_EXCLAMATIVE_NEXT = {"a", "an", "great", "nice", "good", "lovely", "wonderful", "fun", "cool"}
_OPEN_WH = {"what", "how", "why"}


# spoken openers that come before the question itself: "So, how do you...", "And what..."
_LEAD_INS = {"so", "and", "but", "okay", "ok", "um", "uh", "well", "now", "then", "also",
             "right", "alright", "just", "curious"}


@lru_cache(maxsize=4096)  # the metrics and the scorer ask about the same sentences
def is_question(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
        return True
    tokens = words(sentence)
    while tokens and tokens[0] in _LEAD_INS:
        tokens = tokens[1:]
    if len(tokens) < 2:
        return False
    first, second = tokens[0], tokens[1]
    if first in _WH:
        return second not in _EXCLAMATIVE_NEXT or (first == "how" and second == "about")
    return first in _AUX and second in _SUBJECTS


def questions_in(text: str) -> list[str]:
    return [s for s in sentences(text) if is_question(s)]


def is_open_question(sentence: str) -> bool:
    tokens = words(sentence)
    return bool(tokens) and (tokens[0] in _OPEN_WH or sentence.lower().startswith(
        ("tell me", "walk me", "describe", "help me understand")))
