"""German: fillers and question forms (research18.md section 6; FEEDBACK.md's principles)."""

from __future__ import annotations

from pitchlab.analysis.languages.filler_rules import FillerRules, Found, Speech, hesitation_test
from pitchlab.analysis.languages.question_rules import QuestionRules, Words

HESITATIONS = (("äh", r"ä+h+"), ("ähm", r"ä+h+m+"), ("öh", r"ö+h+"), ("öhm", r"ö+h+m+"),
               ("hm", r"h+m+"))
# before "Halt" the noun: "ohne Halt", "einen Halt", "zum Halt"
_NOUN_BEFORE = frozenset({"der", "den", "dem", "des", "ein", "einen", "einem", "kein", "keinen",
                          "ohne", "zum", "halt", "guten", "festen", "mehr"})


def _halt(s: Speech, i: int) -> Found:
    """The modal particle "halt" stands inside its clause, lowercase ("das ist halt so"); the
    noun is capitalized ("Halt machen") and the imperative opens its sentence ("Halt!")."""
    if s.lower[i] != "halt" or s.tokens[i] != "halt" or s.opens_phrase(i):
        return None
    if s.at(i - 1) in _NOUN_BEFORE or s.mentioned(i, 1):
        return None
    return "halt", 1


FILLERS = FillerRules(
    hesitations=HESITATIONS,
    always=("sozusagen", "naja", "na ja"),  # "so to speak", "well": no content use
    set_off={"also": "initial", "quasi": "edge", "irgendwie": "edge"},
    extra=(_halt,),
)

# finite auxiliaries and modals: opening a sentence with a subject after them, they ask
_VERB_FIRST = frozenset({
    "haben", "hat", "hast", "habt", "hatten", "hatte", "sind", "ist", "bist", "seid", "war",
    "waren", "können", "kann", "kannst", "könnten", "könnte", "wollen", "will", "willst",
    "wollten", "möchten", "möchte", "möchtest", "würden", "würde", "würdest", "werden", "wird",
    "wirst", "sollen", "soll", "sollten", "sollte", "müssen", "muss", "musst", "dürfen", "darf",
    "gibt", "gab",
})  # no full verbs: "Nutzen Sie die Gelegenheit" is an imperative
# the prospect or a thing as subject; "ich"/"wir" only with a "?" (topic drop: "Kann ich
# verstehen" states)
_ASKED_SUBJECTS = frozenset({"sie", "du", "ihr", "es", "das", "die", "der", "man", "ihre",
                             "dein", "deine", "euer", "eure", "dieses", "diese", "dieser"})
_W_WORDS = frozenset({"wer", "wen", "wem", "wessen", "was", "wann", "wo", "warum", "weshalb",
                      "wieso", "wie", "welche", "welcher", "welches", "welchen", "welchem",
                      "wohin", "woher", "wozu", "wofür", "womit", "worüber", "worauf", "woran",
                      "wodurch", "wovon"})


def _verb_first(words: Words) -> bool:
    return len(words) > 1 and words[0] in _VERB_FIRST and words[1] in _ASKED_SUBJECTS


QUESTIONS = QuestionRules(
    interrogatives=_W_WORDS,
    open_interrogatives=frozenset({"was", "wie", "warum", "weshalb", "wieso", "wozu"}),
    frames=("erzählen sie", "erzähl mir", "erzähl mal", "beschreiben sie", "erklären sie",
            "schildern sie", "sagen sie mir", "sag mir", "ich würde gern wissen",
            "ich würde gerne wissen", "mich würde interessieren", "ich frage mich",
            "mich interessiert"),
    lead_ins=frozenset({"und", "aber", "also", "okay", "ok", "gut", "super", "prima", "genau",
                        "jetzt", "dann", "na", "ja", "klar", "perfekt", "schön", "sehr"}),
    prepositions=frozenset({"mit", "für", "von", "an", "bei", "seit", "zu", "über", "auf", "in",
                            "aus", "nach", "ab", "bis"}),
    statement_subjects=frozenset({"ich", "wir", "du", "er", "sie", "es", "man", "ihr", "das",
                                  "die", "der", "den", "dem", "ein", "eine", "einen", "unser",
                                  "unsere", "ihre", "mein", "meine"}),
    degree=frozenset({"viel", "viele", "lange", "oft", "groß", "hoch", "schnell", "genau",
                      "weit", "alt", "bald", "sonst",
                      "für", "ein", "eine", "einen"}),  # "was für ein tolles ..." exclaims
    exclaimed=frozenset({"toll", "schön", "super", "interessant", "spannend", "klasse",
                         "großartig", "prima", "herrlich", "schad", "nett", "cool"}),
    newsmarks=frozenset({"ach", "oh", "ah", "wirklich", "echt", "ja", "nein", "so", "ernsthaft",
                         "tatsächlich", "krass", "gut", "okay", "stimmt", "genau", "oder", "ne",
                         "gell", "nicht", "wahr"}),
    first_person=frozenset({"ich", "wir", "unser", "unsere", "mein", "meine"}),
    conjunctions=frozenset({"und"}),
    because=frozenset({"weil", "denn"}),
    hesitations=hesitation_test(HESITATIONS),
    asks=_verb_first,
)
