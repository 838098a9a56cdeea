"""Filler words in Spanish, German and French, by the same principle as the English rules
(FEEDBACK.md "Filler words"): one count per word or fixed phrase, under the word itself.

Each language gives its data (``FillerRules``):
- hesitations count in any stretched spelling ("eeeh" is "eh", "äääh" is "äh"), except when
  they ask for a repeat ("¿eh?", "Hm?"), are a name mid-sentence ("Ben"), or are mentioned
  ("dijiste 'este'");
- ``always``: words that are fillers wherever they are used (German "sozusagen", "naja");
- ``set_off``: words that are also content words ("este producto", "un bon produit", "also
  gut") count only set off at a phrase's edge, by the place they may take: "initial" ("Bueno,
  ...", "Bon, alors"), "final" ("..., quoi.", "..., voilà.") or "edge" (either). Set off means
  separated from the phrase by a comma, an ellipsis or a hesitation: a word that runs straight
  on into its phrase ("Du coup on a ...", "Pues no") is not counted, since nothing then tells
  the filler from the content word;
- ``extra``: a language's own rules (Spanish "este...", German modal particle "halt").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from pitchlab.analysis.lexicon import (
    CLAUSE_BREAK,
    QUOTES,
    SENTENCE_END,
    count_by_rules,
    is_word,
    tokenize,
)

Place = Literal["initial", "final", "edge"]
# a pause inside the phrase: what sets a filler off from the words it would otherwise belong to
_PAUSES = CLAUSE_BREAK | {"...", "\u2026"}


@dataclass(frozen=True)
class Speech:
    """One text's tokens (original case and lowercase) and the language's hesitations."""

    tokens: tuple[str, ...]
    lower: tuple[str, ...]
    hesitations: tuple[tuple[str, re.Pattern[str]], ...]

    def at(self, i: int) -> str | None:
        return self.lower[i] if 0 <= i < len(self.lower) else None

    def hesitation(self, token: str | None) -> str | None:
        """The canonical name of a hesitation ("eeeh" -> "eh"), or None."""
        if token is None:
            return None
        return next((name for name, spelled in self.hesitations if spelled.fullmatch(token)),
                    None)

    def opens_phrase(self, i: int) -> bool:
        before = self.at(i - 1)
        return before is None or before in SENTENCE_END | CLAUSE_BREAK or bool(
            self.hesitation(before))

    def closes_phrase(self, i: int) -> bool:
        after = self.at(i)
        return after is None or after in (SENTENCE_END - {"?"}) | CLAUSE_BREAK

    def paused(self, i: int) -> bool:
        """A pause at i: a comma, an ellipsis or a hesitation."""
        token = self.at(i)
        return token is not None and (token in _PAUSES or bool(self.hesitation(token)))

    def mentioned(self, i: int, width: int) -> bool:
        """Quoted as a word: "dijiste 'este' muchas veces"."""
        return self.at(i - 1) in QUOTES and self.at(i + width) in QUOTES


Found = tuple[str, int] | None  # the filler's name and how many tokens it spans
Rule = Callable[[Speech, int], Found]


@dataclass(frozen=True)
class FillerRules:
    hesitations: tuple[tuple[str, str], ...]  # (name, regular expression of its spellings)
    always: tuple[str, ...] = ()
    set_off: dict[str, Place] = field(default_factory=dict)
    extra: tuple[Rule, ...] = ()
    spellings: dict[str, str] = field(default_factory=dict)  # "voila" -> "voilà"


def hesitation_test(hesitations: tuple[tuple[str, str], ...]) -> Callable[[str], bool]:
    """Whether a lowercase word is one of these hesitations, in any stretched spelling."""
    spelled = re.compile("|".join(f"(?:{pattern})" for _, pattern in hesitations))
    return lambda word: bool(spelled.fullmatch(word))


Phrases = tuple[tuple[str, tuple[str, ...]], ...]


def _longest_first(phrases: list[str] | tuple[str, ...]) -> Phrases:
    """Each phrase with its words, longest first ("o sea" is tried before a one-word "sea")."""
    return tuple(sorted(((p, tuple(p.split())) for p in phrases), key=lambda p: -len(p[1])))


def _phrase_at(s: Speech, i: int, phrases: Phrases) -> str | None:
    """The longest of ``phrases`` that starts at token i."""
    return next((phrase for phrase, parts in phrases
                 if s.lower[i:i + len(parts)] == parts), None)


def _hesitation(s: Speech, i: int) -> Found:
    name = s.hesitation(s.lower[i])
    if name is None or s.mentioned(i, 1) or s.at(i + 1) == "?":
        return None  # "¿eh?", "Hm?": asking for a repeat, not a pause
    token = s.tokens[i]
    if token[0].isupper() and not s.opens_phrase(i) and is_word(s.at(i - 1)):
        return None  # a name mid-sentence: "con Ben Torres"
    return name, 1


def _set_off(rules: FillerRules) -> Rule:
    phrases = _longest_first(list(rules.set_off))

    def rule(s: Speech, i: int) -> Found:
        phrase = _phrase_at(s, i, phrases)
        if phrase is None:
            return None
        width = len(phrase.split())
        if s.mentioned(i, width):
            return None
        place = rules.set_off[phrase]
        # initial: the phrase's first word, a pause before the rest ("Bueno, el precio")
        initial = s.opens_phrase(i) and s.paused(i + width)
        # final: after a pause, the phrase's last word ("..., quoi.")
        final = s.paused(i - 1) and s.closes_phrase(i + width)
        hit = {"initial": initial, "final": final, "edge": initial or final}[place]
        return (phrase, width) if hit else None
    return rule


def _always(rules: FillerRules) -> Rule:
    phrases = _longest_first(rules.always)

    def rule(s: Speech, i: int) -> Found:
        phrase = _phrase_at(s, i, phrases)
        if phrase is None:
            return None
        width = len(phrase.split())
        return None if s.mentioned(i, width) else (phrase, width)
    return rule


@dataclass(frozen=True)
class FillerCounter:
    """Counts one language's fillers (see the module's docstring)."""

    rules: FillerRules
    hesitations: tuple[tuple[str, re.Pattern[str]], ...]
    chain: tuple[Rule, ...]

    @classmethod
    def of(cls, rules: FillerRules) -> FillerCounter:
        compiled = tuple((name, re.compile(spelled)) for name, spelled in rules.hesitations)
        return cls(rules, compiled,
                   (_hesitation, *rules.extra, _always(rules), _set_off(rules)))

    def __call__(self, text: str) -> Counter[str]:
        tokens = tokenize(text)
        lower = tuple(self.rules.spellings.get(t.lower(), t.lower()) for t in tokens)
        speech = Speech(tokens, lower, self.hesitations)
        return count_by_rules(len(tokens), [partial(rule, speech) for rule in self.chain])
