"""French: fillers and question forms (research18.md section 6; FEEDBACK.md's principles)."""

from __future__ import annotations

import re

from pitchlab.analysis.languages.filler_rules import FillerRules, hesitation_test
from pitchlab.analysis.languages.question_rules import QuestionRules, Words

HESITATIONS = (("euh", r"e+u+h+"), ("heu", r"h+e+u+h*"), ("hum", r"h+u+m+"), ("bah", r"b+a+h+"),
               ("ben", r"b+e+n+"))

FILLERS = FillerRules(
    hesitations=HESITATIONS,
    set_off={"bon": "initial", "voilà": "edge", "genre": "edge", "quoi": "final",
             "du coup": "edge", "en fait": "edge", "tu vois": "edge", "vous voyez": "edge",
             "en gros": "edge", "disons": "edge"},
    spellings={"voila": "voilà"},  # speech to text often drops the accent
)

# subject-verb inversion: "pouvez-vous", "a-t-il", "puis-je"; not "peut-être", "dites-moi"
_INVERSION = re.compile(r"^[^\W\d_]+(?:-t)?-(?:je|tu|il|elle|on|nous|vous|ils|elles)$")
# "-nous"/"-vous" are objects after an imperative: "envoyez-nous", "asseyez-vous"
_REFLEXIVE_IMPERATIVES = frozenset({"asseyez", "rendez", "dépêchez", "renseignez", "souvenez",
                                    "imaginez", "excusez", "calmez", "inscrivez", "connectez",
                                    "adressez", "installez", "servez"})
_OPEN_FORMS = ("qu'est-ce", "qu'en", "que")


def inverted(word: str) -> bool:
    if not _INVERSION.match(word):
        return False
    verb, _, pronoun = word.rpartition("-")
    if pronoun == "nous":
        return verb.endswith("ons")  # "pouvons-nous", not "envoyez-nous"
    return not (pronoun == "vous" and verb in _REFLEXIVE_IMPERATIVES)


def _asks(words: Words) -> bool:
    """ "est-ce que" (not the tag "n'est-ce pas") or an inverted verb anywhere in it."""
    return any(w in {"est-ce", "qu'est-ce"} or inverted(w) for w in words)


def _opens(words: Words) -> bool:
    """ "Qu'est-ce que ...", "Que pensez-vous ...", "Qu'en pensez-vous": what-questions."""
    return words[0] in _OPEN_FORMS and _asks(words)


QUESTIONS = QuestionRules(
    interrogatives=frozenset({"qui", "quoi", "quel", "quelle", "quels", "quelles", "lequel",
                              "laquelle", "lesquels", "lesquelles", "où", "quand", "comment",
                              "combien", "pourquoi"}),
    # what/how/why, as in English ("how many" included): "quel est" is "what is"
    open_interrogatives=frozenset({"quoi", "comment", "pourquoi", "combien", "quel", "quelle",
                                   "quels", "quelles"}),
    frames=("dites-moi", "dis-moi", "racontez-moi", "raconte-moi", "expliquez-moi",
            "explique-moi", "décrivez-moi", "parlez-moi", "dites-nous", "racontez-nous",
            "expliquez-nous", "parlez-nous", "j'aimerais savoir", "j'aimerais comprendre",
            "je me demandais", "je me demande", "je voudrais savoir"),
    lead_ins=frozenset({"et", "mais", "alors", "donc", "bon", "ok", "okay", "d'accord", "bien",
                        "très", "parfait", "super", "oui", "ah", "du", "coup", "en", "fait",
                        "voilà", "écoutez", "dites"}),
    prepositions=frozenset({"à", "de", "avec", "pour", "en", "par", "chez", "depuis", "sur",
                            "dans"}),
    statement_subjects=frozenset({"je", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles",
                                  "ça", "ce", "le", "la", "les", "un", "une", "des", "mon", "ma",
                                  "mes", "notre", "nos", "votre", "vos", "leur", "leurs"}),
    degree=frozenset({"de", "d'", "temps", "autre"}),
    exclaimed=frozenset({"plaisir", "chance", "dommage", "horreur", "surprise", "bonne", "belle",
                         "joie", "bonheur", "honte", "génial", "super"}),
    newsmarks=frozenset({"ah", "oh", "bon", "vraiment", "ouais", "oui", "non", "quoi", "hein",
                         "sérieux", "sérieusement", "c'est", "vrai", "ok", "d'accord", "tiens",
                         "bah", "ben"}),
    first_person=frozenset({"je", "nous", "notre", "nos", "mon", "ma", "mes", "j'ai", "j'étais",
                            "j'appelle"}),  # "on" proposes: "On se voit mardi ?"
    conjunctions=frozenset({"et"}),
    because=frozenset({"parce", "car"}),
    hesitations=hesitation_test(HESITATIONS),
    asks=_asks,
    opens=_opens,
)
