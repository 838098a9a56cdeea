"""Questions the rep asked in Spanish, German and French, counted by FEEDBACK.md "Questions".

A sentence is a question when it is marked as one ("?", or Spanish "¿") or, unmarked (speech to
text may drop the mark), when its form asks: an interrogative word opening it in question order
(Spanish accented qué/cómo/cuándo..., German W-words, French quel/combien/qui...), German
verb-first order with an auxiliary or modal and a subject ("Haben Sie ...", "Ist das ..."),
French "est-ce que" or hyphenated inversion ("pouvez-vous", "a-t-il"), or an
information-seeking frame ("cuénteme", "erzählen Sie", "dites-moi", "me gustaría saber").

Each language gives the word lists (``QuestionRules``) and, where its grammar needs one, its own
test of question order (``asks``). As in English, not questions: exclamations ("¡Qué bien!",
"Wie schön"), wh-clauses in statement order ("Was wir machen, ist ...", "Quand vous aurez
signé, ..."), newsmarks ("¿En serio?", "Ah bon ?"), uptalk about the rep's own side ("Wir sind in
Berlin?") and questions the rep answers in the next sentence ("¿Por qué? Porque ...").
Requests joined by "y"/"und"/"et" and an interrogative count separately; "o"/"oder"/"ou" never.
Without a mark, German verb-first with "ich"/"wir" is not counted: spoken German drops the topic
of statements ("Kann ich verstehen"), so the order alone does not tell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pitchlab.analysis.lexicon import is_word, tokenize
from pitchlab.analysis.text import sentences

Words = tuple[str, ...]


@dataclass(frozen=True)
class QuestionRules:
    interrogatives: frozenset[str]
    open_interrogatives: frozenset[str]  # what/how/why: answered in the prospect's own words
    frames: tuple[str, ...]  # information-seeking imperatives and indirect questions
    lead_ins: frozenset[str]  # words before a sentence's real start ("Y", "Also", "Bon")
    prepositions: frozenset[str]  # before an interrogative: "con quién", "mit wem", "à qui"
    statement_subjects: frozenset[str]  # after an interrogative: statement order
    degree: frozenset[str]  # part of the interrogative phrase: "wie viele", "cuántos más"
    exclaimed: frozenset[str]  # "qué bien", "wie schön", "quel plaisir": stems, by prefix
    newsmarks: frozenset[str]  # a sentence of only these reacts ("¿En serio?", "Ah bon ?")
    first_person: frozenset[str]
    conjunctions: frozenset[str]  # a new request after one with an interrogative
    because: frozenset[str]  # the rep answering their own question
    hesitations: Callable[[str], bool] = field(default=lambda _w: False)
    # the language's own test of an unmarked question's order (verb-first, inversion)
    asks: Callable[[Words], bool] = field(default=lambda _w: False)
    opens: Callable[[Words], bool] = field(default=lambda _w: False)  # its own open forms


def _frame(words: Words, frames: tuple[str, ...]) -> bool:
    return any(words[:len(f.split())] == tuple(f.split()) for f in frames)


@dataclass(frozen=True)
class QuestionReader:
    rules: QuestionRules

    def core(self, sentence: str) -> Words:
        """The question's words after its lead-ins: from its "¿" when it has one ("Perfecto,
        ¿y cuántos ...?"), unless what follows the "¿" is only a tag ("Son cuarenta, ¿no?"):
        then the statement it asks to confirm."""
        if "\u00bf" in sentence:
            asked = self._words(sentence[sentence.index("\u00bf"):])
            if asked and not set(asked) <= self.rules.newsmarks:
                return asked
        return self._words(sentence)

    def _words(self, sentence: str) -> Words:
        said = tuple(t.lower() for t in tokenize(sentence) if is_word(t))
        start = 0
        while start < len(said) - 1 and (said[start] in self.rules.lead_ins
                                         or self.rules.hesitations(said[start])):
            start += 1
        return said[start:]

    def interrogative(self, words: Words) -> int:
        """How many words the interrogative opening ``words`` spans, or 0."""
        r = self.rules
        if words and words[0] in r.interrogatives:
            return 1
        if len(words) > 1 and words[0] in r.prepositions and words[1] in (
                r.interrogatives):
            return 2  # "por qué", "con quién", "mit wem", "à qui"
        return 0

    def _wh_asks(self, words: Words) -> bool:
        """An interrogative in question order: not "Was wir machen", not "Qué bien"."""
        width = self.interrogative(words)
        if not width:
            return False
        rest = words[width:]
        while rest and rest[0] in self.rules.degree:
            rest = rest[1:]
        if not rest:
            return True  # "¿Cuándo?", "Warum?"
        if any(rest[0].startswith(stem) for stem in self.rules.exclaimed):
            return False
        return rest[0] not in self.rules.statement_subjects and not rest[0].startswith(
            ("j'", "c'", "l'"))

    def asks(self, words: Words) -> bool:
        """The words ask without a question mark."""
        return bool(words) and (_frame(words, self.rules.frames) or self._wh_asks(words)
                                or self.rules.asks(words))

    def requests(self, sentence: str) -> int:
        """How many requests one sentence makes (0: it asks nothing)."""
        tokens = tokenize(sentence)
        if not tokens or tokens[-1] == "!":
            return 0
        words = self.core(sentence)
        marked = tokens[-1] == "?" or "\u00bf" in sentence
        if not words or not (marked or self.asks(words)):
            return 0
        if marked and not self.asks(words) and self._reacts_or_uptalk(words):
            return 0
        return 1 + self._more_requests(words)

    def _reacts_or_uptalk(self, words: Words) -> bool:
        return set(words) <= self.rules.newsmarks or words[0] in self.rules.first_person

    def _more_requests(self, words: Words) -> int:
        """ "¿Qué usan y cómo lo miden?" asks twice; an alternative ("o") once."""
        return sum(1 for k in range(1, len(words) - 1)
                   if words[k] in self.rules.conjunctions
                   and self.interrogative(words[k + 1:]))

    def questions_in(self, text: str) -> list[str]:
        said = sentences(text)
        counts = [self.requests(s) for s in said]
        for k in range(len(said) - 1):
            following = self.core(said[k + 1])
            if counts[k] and not counts[k + 1] and following and (
                    following[0] in self.rules.because):
                counts[k] = 0  # "¿Por qué importa? Porque ...": the rep answers it
        return [s for s, n in zip(said, counts, strict=True) for _ in range(n)]

    def is_open(self, sentence: str) -> bool:
        """Open: a what/how/why question or an information-seeking frame."""
        if not self.requests(sentence):
            return False
        words = self.core(sentence)
        width = self.interrogative(words)
        asked_open = bool(width) and words[width - 1] in self.rules.open_interrogatives
        return asked_open or _frame(words, self.rules.frames) or self.rules.opens(words)
