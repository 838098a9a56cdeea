"""Filler words in the rep's speech, with context rules so that ordinary uses are not counted.

Always fillers: um, uh, er, erm, ah, hmm (and stretched spellings), basically, actually,
literally. With context:
- "like" counts when a comma sets it off ("it was, like, huge"); otherwise it counts unless it
  is a verb or a comparison after a word that governs it ("I like it", "would like", "looks
  like", "it was like a dream") or is followed by "to" ("like to").
- "kind of" / "sort of" count unless a determiner precedes them ("a kind of product").
- "you know" counts unless it is a real question or object clause ("do you know", "you know
  that", "you know how").
- "I mean" counts unless it carries an object ("I mean it", "I mean that", "what I mean").
- "so" counts only at the start of a sentence, and not as "so that", "so far", "so much" etc.
"""

from __future__ import annotations

import re
from collections import Counter

from pitchlab.analysis.text import sentences

_ALWAYS = {"basically": "basically", "actually": "actually", "literally": "literally"}
_HESITATION = re.compile(r"^(u+m+|u+h+|e+r+m*|a+h+|h+m+)$")
_LIKE_GOVERNORS = {
    "i", "you", "we", "they", "he", "she", "it", "would", "i'd", "you'd", "we'd", "they'd",
    "really", "also", "don't", "do", "does", "did", "didn't", "doesn't", "look", "looks",
    "looked", "sound", "sounds", "sounded", "feel", "feels", "felt", "seem", "seems", "seemed",
    "something", "anything", "nothing", "more", "much", "just", "things", "people", "not",
    "what's", "that's", "it's", "is", "was", "be", "the", "a",
}
_DETERMINERS = {"a", "the", "this", "that", "what", "which", "any", "some", "every", "one",
                "another", "same", "different", "each", "no", "its", "their", "our", "your"}
_YOU_KNOW_QUESTION = {"do", "did", "don't", "didn't", "if", "as", "would", "will", "does"}
_YOU_KNOW_CLAUSE = {"that", "how", "what", "why", "where", "when", "who", "whether", "if",
                    "about", "him", "her", "them", "it", "the"}
_I_MEAN_OBJECT = {"it", "that", "what", "to", "this", "exactly", "every", "business"}
_SO_NOT_FILLER = {"that", "far", "much", "many", "long", "few", "little"}


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|,")


def count_fillers(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for sentence in sentences(text):
        found.update(_fillers_in(_TOKEN.findall(sentence.lower())))
    return found


def _fillers_in(tokens: list[str]) -> list[str]:
    found = []
    for i, word in enumerate(tokens):
        before = tokens[i - 1] if i > 0 else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if _HESITATION.match(word):
            found.append(_hesitation_name(word))
        elif word in _ALWAYS:
            found.append(word)
        elif word == "like" and (
            "," in (before, after) or (before not in _LIKE_GOVERNORS and after != "to")
        ):
            found.append("like")
        elif word in ("kind", "sort") and after == "of" and before not in _DETERMINERS:
            found.append(f"{word} of")
        elif word == "you" and after == "know" and before not in _YOU_KNOW_QUESTION and (
            i + 2 >= len(tokens) or tokens[i + 2] not in _YOU_KNOW_CLAUSE
        ):
            found.append("you know")
        elif word == "i" and after == "mean" and before != "what" and (
            i + 2 >= len(tokens) or tokens[i + 2] not in _I_MEAN_OBJECT
        ):
            found.append("i mean")
        elif word == "so" and i == 0 and after not in _SO_NOT_FILLER:
            found.append("so")
    return found


def _hesitation_name(word: str) -> str:
    """Stretched spellings count as their plain form: "ummm" is "um", "hmmm" is "hmm"."""
    if word[0] == "u":
        return "um" if "m" in word else "uh"
    return {"e": "er", "a": "ah", "h": "hmm"}[word[0]]
