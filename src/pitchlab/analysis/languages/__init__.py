"""The analysis in the call's language: filler words, questions and word counts for English
(the rules in pitchlab.analysis.fillers and .questions), Spanish, German and French (the rules
here, one module per language), and what is not measured in a language.

A language is a BCP 47 tag (API.md "Scenarios"); its primary subtag picks the rules ("es-MX" is
Spanish). English is what every caller gets without saying. A language without rules here still
gets its talk times, pace and word counts, but no filler or question counts: those are listed
as not measured rather than counted with another language's words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from pitchlab.analysis import fillers, questions, text
from pitchlab.analysis.languages import de, es, fr
from pitchlab.analysis.languages.filler_rules import FillerCounter, FillerRules
from pitchlab.analysis.languages.question_rules import QuestionReader, QuestionRules

ENGLISH = "en"
NAMES = {"en": "English", "es": "Spanish", "de": "German", "fr": "French"}
# VADER, the sentiment lexicon, reads English only
SENTIMENT = ("sentiment.rep", "sentiment.prospect", "sentiment.prospect_trend")
COUNTS = ("filler_words.count", "filler_words.per_100_words", "questions_asked",
          "questions_per_10_minutes")
# words in any alphabet, an apostrophe's elision kept with its word ("l'équipe", "qu'est")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


@dataclass(frozen=True)
class Analysis:
    """What the metrics read a language with; None where the language has no rules."""

    language: str
    words: Callable[[str], tuple[str, ...]]
    count_fillers: Callable[[str], Counter[str]] | None
    questions_in: Callable[[str], list[str]] | None
    is_open_question: Callable[[str], bool] | None

    @property
    def reads_sentiment(self) -> bool:
        return self.language == ENGLISH

    @property
    def not_measured(self) -> tuple[str, ...]:
        """The metrics this language's calls cannot have (their value stays 0)."""
        if self.reads_sentiment:
            return ()
        return SENTIMENT + (() if self.count_fillers else COUNTS)


@lru_cache(maxsize=1024)  # segment-sized keys, like text.words
def words_in_any_language(said: str) -> tuple[str, ...]:
    """Words of any alphabet: English's [a-z] would cut "día" in two and drop "ß"."""
    return tuple(_WORD.findall(said.lower().replace("\u2019", "'")))


def _with_rules(language: str, filler_rules: FillerRules, question_rules: QuestionRules
                ) -> Analysis:
    reader = QuestionReader(question_rules)
    return Analysis(language, words_in_any_language, FillerCounter.of(filler_rules),
                    reader.questions_in, reader.is_open)


_ANALYSES = {
    ENGLISH: Analysis(ENGLISH, text.words, fillers.count_fillers, questions.questions_in,
                      questions.is_open_question),
    "es": _with_rules("es", es.FILLERS, es.QUESTIONS),
    "de": _with_rules("de", de.FILLERS, de.QUESTIONS),
    "fr": _with_rules("fr", fr.FILLERS, fr.QUESTIONS),
}


def language_of(tag: str | None) -> str:
    """The primary language of a BCP 47 tag, lowercase ("es-MX" -> "es"); None is English."""
    return (tag or ENGLISH).split("-")[0].split("_")[0].strip().lower() or ENGLISH


def analysis_for(tag: str | None) -> Analysis:
    language = language_of(tag)
    return _ANALYSES.get(language) or Analysis(language, words_in_any_language, None, None,
                                               None)


def reads_skills(tag: str | None) -> bool:
    """Whether the local scorer's skill rules can read the language: their cues (pains,
    objections, next steps, empathy) are English phrases."""
    return language_of(tag) == ENGLISH


# what the coaching note names as fillers to replace with a pause
_FILLER_EXAMPLES = {"en": "'um' or 'like'", "es": "'eh' or 'o sea'", "de": "'äh' or 'halt'",
                    "fr": "'euh' or 'du coup'"}


def filler_examples(tag: str | None) -> str:
    return _FILLER_EXAMPLES.get(language_of(tag), "filler words")


def name_of(tag: str | None) -> str:
    language = language_of(tag)
    return NAMES.get(language, f'"{language}"')
