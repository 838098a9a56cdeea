"""Spanish: fillers and question forms (research18.md section 6; FEEDBACK.md's principles)."""

from __future__ import annotations

from pitchlab.analysis.languages.filler_rules import FillerRules, Found, Speech, hesitation_test
from pitchlab.analysis.languages.question_rules import QuestionRules

HESITATIONS = (("eh", r"e+h+"), ("ehm", r"e+h+m+"), ("em", r"e+m+"), ("mm", r"m{2,}"))


def _este(s: Speech, i: int) -> Found:
    """ "este..." trailing off is a hesitation wherever it stands ("de este... del precio"); a
    demonstrative runs on into its noun ("este producto") or closes a phrase ("prefiero este")."""
    if s.lower[i] == "este" and s.at(i + 1) in {"...", "\u2026"} and not s.mentioned(i, 1):
        return "este", 1
    return None


FILLERS = FillerRules(
    hesitations=HESITATIONS,
    always=("digamos",),  # "let's say": a hedge wherever it is
    set_off={"este": "initial", "bueno": "initial", "pues": "edge", "o sea": "edge",
             "en plan": "edge", "tipo": "edge", "a ver": "initial"},
    extra=(_este,),
)

_INTERROGATIVES = frozenset({"qué", "quién", "quiénes", "cuál", "cuáles", "cómo", "cuándo",
                             "dónde", "adónde", "cuánto", "cuánta", "cuántos", "cuántas"})

QUESTIONS = QuestionRules(
    # accents tell the interrogative from the relative ("que", "como", "cuando" state)
    interrogatives=_INTERROGATIVES,
    # what/how/why, as in English ("how many" included): qué, cuál, cómo, cuánto, por qué
    open_interrogatives=frozenset({"qué", "cómo", "cuál", "cuáles", "cuánto", "cuánta",
                                   "cuántos", "cuántas"}),
    frames=("cuénteme", "cuéntame", "cuéntenos", "cuéntanos", "dígame", "dime", "díganos",
            "explíqueme", "explícame", "descríbame", "descríbeme", "hábleme", "háblame",
            "me gustaría saber", "me gustaría entender", "quisiera saber", "me pregunto",
            "me preguntaba"),
    lead_ins=frozenset({"y", "pero", "entonces", "bueno", "vale", "ok", "okay", "pues", "perfecto",
                        "genial", "claro", "bien", "oye", "oiga", "mire", "mira", "muy", "sí"}),
    prepositions=frozenset({"por", "a", "de", "con", "en", "para", "desde", "hasta", "sobre"}),
    statement_subjects=frozenset(),  # Spanish inverts or drops the subject: no statement order
    degree=frozenset({"más", "tanto"}),
    exclaimed=frozenset({"bien", "buen", "bonit", "interesante", "pena", "suerte", "raro",
                         "lástima", "genial", "maravill", "horror", "alegría", "gusto",
                         "sorpresa", "guay"}),
    newsmarks=frozenset({"ah", "oh", "en", "serio", "de", "verdad", "sí", "no", "vaya", "anda",
                         "ya", "claro", "bueno", "vale", "qué", "así", "eh", "ok"}),
    first_person=frozenset({"yo", "nosotros", "nosotras", "nuestro", "nuestra", "mi"}),
    conjunctions=frozenset({"y", "e"}),
    because=frozenset({"porque"}),
    hesitations=hesitation_test(HESITATIONS),
)
