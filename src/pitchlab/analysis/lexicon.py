"""Tokens and closed word classes shared by the filler and question rules (FEEDBACK.md).

Speech-to-text output is tokenized into words (contractions and hyphenated words stay whole:
"it's", "uh-huh", "mm-hmm") and punctuation marks (",", ".", "?", "!", quotes), so the rules can
look at the words and the punctuation around a word. Only closed classes live here (pronouns,
auxiliaries, determiners, hesitations): the rules never list example sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

# a number ("4.99", "10:30", "1,200"), a word (contractions and hyphenated compounds whole), or
# one punctuation mark; "..." is one mark
_TOKEN = re.compile(
    "\\d+(?:[.,:]\\d+)+|[^\\W_]+(?:['\u2019][^\\W_]+)*(?:-[^\\W_]+(?:['\u2019][^\\W_]+)*)*"
    "|\\.\\.\\.|\u2026|[,.;:?!\"\u201c\u201d\u2018\u2019']"
)
SENTENCE_END = frozenset({".", "?", "!", "...", "\u2026"})
CLAUSE_BREAK = frozenset({",", ";", ":"})
QUOTES = frozenset({'"', "\u201c", "\u201d", "\u2018", "\u2019", "'"})
PUNCTUATION = SENTENCE_END | CLAUSE_BREAK | QUOTES


@lru_cache(maxsize=4096)  # the metrics and the scorer read the same segments
def tokenize(text: str) -> tuple[str, ...]:
    """Words and punctuation in their original case; curly apostrophes made straight."""
    return tuple(t.replace("\u2019", "'") if len(t) > 1 else t for t in _TOKEN.findall(text))


def is_word(token: str | None) -> bool:
    return token is not None and token not in PUNCTUATION


# hesitations with any stretched spelling: um, ummm, uh, uhhh, er, erm, ah, ahh, hmm, hmmmm
HESITATION = re.compile(r"^(?:u+m+|u+h+|e+r+m*|a+h+|h+m+)$")


def hesitation_name(word: str) -> str:
    """The canonical name of a hesitation: "ummm" is "um", "erm" is "er", "hmmmm" is "hmm"."""
    word = word.lower()
    if word[0] == "u":
        return "um" if "m" in word else "uh"
    return {"e": "er", "a": "ah", "h": "hmm"}[word[0]]


def is_hesitation(token: str | None) -> bool:
    return token is not None and bool(HESITATION.match(token.lower()))


SUBJECT_PRONOUNS = frozenset({"i", "we", "you", "they", "he", "she", "it"})
FIRST_PERSON = frozenset({"i", "we", "i'm", "we're", "i've", "we've", "i'd", "we'd", "i'll",
                          "we'll", "our", "my", "ours", "us", "me"})
SECOND_PERSON = frozenset({"you", "your", "yours", "you're", "you've", "you'd", "you'll", "y'all",
                           "yourself", "yourselves"})
# pronoun + verb contractions: a clause starts with one ("I mean it's not cheap")
PRONOUN_CONTRACTIONS = frozenset({
    "i'm", "i've", "i'd", "i'll", "we're", "we've", "we'd", "we'll", "you're", "you've", "you'd",
    "you'll", "they're", "they've", "they'd", "they'll", "it's", "it'd", "it'll", "that's",
    "there's", "he's", "she's", "here's", "what's", "who's",
})
DETERMINERS = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "what", "which", "any", "some", "every",
    "each", "no", "one", "another", "same", "different", "its", "their", "our", "your", "my",
    "his", "her", "all", "many", "most", "several", "other", "two", "three", "certain", "whatever",
})
AUXILIARIES = frozenset({
    "do", "does", "did", "is", "are", "was", "were", "am", "can", "could", "would", "will",
    "should", "shall", "may", "might", "must", "have", "has", "had", "isn't", "aren't", "wasn't",
    "weren't", "don't", "doesn't", "didn't", "won't", "wouldn't", "couldn't", "can't",
    "shouldn't", "haven't", "hasn't", "hadn't", "mightn't", "shan't",
})
BE_FORMS = frozenset({"is", "are", "was", "were", "be", "been", "being", "am", "'s", "it's",
                      "that's", "he's", "she's", "i'm", "we're", "they're", "you're"})
NUMBER_WORDS = frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "million", "billion", "dozen", "half", "couple", "few",
})


def is_number(token: str | None) -> bool:
    """A numeral or a number word, also hyphenated ("forty-eight") or with a unit ("10k")."""
    if token is None:
        return False
    word = token.lower()
    return word[0].isdigit() or word.split("-")[0] in NUMBER_WORDS


# Common function words of languages other than English that share a spelling with an English
# hesitation ("um 10 Uhr", "er kommt"): German and Dutch, none of them also English words.
FOREIGN_FUNCTION_WORDS = frozenset({
    "der", "das", "dem", "des", "und", "ist", "nicht", "wir", "sie", "ich", "uhr",
    "kommt", "können", "sagt", "herr", "frau", "bis", "auf", "für", "zum", "zur", "ein",
    "eine", "einen", "oder", "aber", "wird", "haben", "sind", "auch", "noch",
    "schon", "heute", "morgen", "montag", "dienstag", "mittwoch", "donnerstag", "freitag",
    "braucht",
    "kunde", "angebot", "het", "een", "niet", "wij", "zijn", "ook", "maar", "vandaag", "komt",
    "geht", "gibt", "bitte", "danke", "ja", "genau", "dann", "wenn", "weil", "dass",
})


def count_by_rules(length: int, rules: Sequence[Callable[[int], tuple[str, int] | None]]
                   ) -> Counter[str]:
    """Walk ``length`` tokens: at each, the first rule that finds a filler there counts it (by
    name) and says how many tokens it spans; the walk resumes after them. Shared by the English
    and the other languages' filler rules."""
    found: Counter[str] = Counter()
    i = 0
    while i < length:
        width = 1
        for rule in rules:
            hit = rule(i)
            if hit:
                found[hit[0]] += 1
                width = hit[1]
                break
        i += width
    return found
