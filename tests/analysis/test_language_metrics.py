"""The call's language in its metrics and its local report: a Spanish call counted with Spanish
rules, what a language cannot give listed as not measured (value 0, never guessed), the skills
the English-only rules cannot read reported as not available, and English unchanged."""

from __future__ import annotations

import pytest

from pitchlab.analysis.local_scorer import score_locally
from pitchlab.analysis.metrics import compute_metrics
from pitchlab.analysis.report import SKILLS
from tests.analysis.conversations import call
from tests.analysis.test_metrics import CALL

SENTIMENT = ["sentiment.rep", "sentiment.prospect", "sentiment.prospect_trend"]
UNREAD_SKILLS = [f"skill_scores.{skill}" for skill in SKILLS]

SPANISH_CALL = call(
    "R: Hola Marta, soy Luis de Rutas. Bueno, eh, le llamo por las entregas. "
    "¿Cuántas rutas hacen al día?",
    "P: Unas cuarenta, pero tenemos retrasos.",
    "R: Entiendo. Este, ¿y cómo lo gestionan hoy? Este sistema es, o sea, manual, ¿no?",
)


def test_a_spanish_call_is_counted_with_spanish_rules():
    m = compute_metrics(SPANISH_CALL, language="es")
    assert m["language"] == "es"
    # "día", "Cuántas", "cómo" are one word each: 18 + 14 words of the rep, 5 of the prospect
    assert m["word_count"] == {"rep": 32, "prospect": 5}
    # "Este," hesitates, "Este sistema" points
    assert m["filler_words"] == {"count": 4, "per_100_words": 12.5,
                                 "by_word": {"bueno": 1, "eh": 1, "este": 1, "o sea": 1}}
    assert m["questions_asked"] == 3  # cuántas, cómo, and the tag "¿no?" on their system


def test_english_rules_would_read_the_spanish_call_differently():
    m = compute_metrics(SPANISH_CALL)
    assert m["language"] == "en"
    assert m["filler_words"]["by_word"] == {}  # no English filler in it


def test_sentiment_is_not_measured_outside_english():
    m = compute_metrics(SPANISH_CALL, language="es")
    assert m["sentiment"] == {"rep": 0.0, "prospect": 0.0, "prospect_trend": 0.0}
    assert m["not_measured"] == SENTIMENT


def test_a_language_without_rules_counts_no_fillers_or_questions():
    m = compute_metrics(call("R: Buongiorno, ehm, quanti venditori avete?",
                             "P: Quaranta.", "R: Grazie."), language="it")
    assert m["language"] == "it"
    assert m["filler_words"] == {"count": 0, "per_100_words": 0.0, "by_word": {}}
    assert m["questions_asked"] == 0 and m["questions_per_10_minutes"] == 0.0
    assert set(m["not_measured"]) == {*SENTIMENT, "filler_words.count",
                                      "filler_words.per_100_words", "questions_asked",
                                      "questions_per_10_minutes"}
    assert m["word_count"] == {"rep": 6, "prospect": 1}  # what is measured still is


@pytest.mark.parametrize(("tag", "language"), [("es-MX", "es"), ("DE", "de"), ("fr_CA", "fr")])
def test_a_regional_tag_takes_its_languages_rules(tag, language):
    assert compute_metrics(SPANISH_CALL, language=tag)["language"] == language


def test_english_metrics_are_unchanged():
    default, english = compute_metrics(CALL), compute_metrics(CALL, language="en")
    assert default == english and default["language"] == "en"
    assert default["not_measured"] == []
    assert score_locally(CALL, default) == score_locally(CALL, english, language="en")


def test_the_local_scorer_reports_skills_not_available_in_another_language():
    m = compute_metrics(SPANISH_CALL, language="es")
    report = score_locally(SPANISH_CALL, m)  # the language comes with the metrics
    assert report == score_locally(SPANISH_CALL, m, language="es")
    for skill in SKILLS:
        assert report["skill_scores"][skill] == {"score": None, "status": "not_observed",
                                                 "evidence": []}
    assert report["not_measured"] == [*SENTIMENT, *UNREAD_SKILLS]
    assert report["moments"] == []
    assert report["summary"] == (
        "You said 86% of the talk time and asked 3 questions. Skill scores are not available "
        "for calls in Spanish: the local rules read English only.")


def test_the_local_scorer_does_not_ask_about_questions_it_could_not_count():
    turns = call("R: Buongiorno, quanti venditori avete?", "P: Quaranta.")
    report = score_locally(turns, compute_metrics(turns, language="it"))
    assert report["summary"].startswith("You said 80% of the talk time. Skill scores are not "
                                        'available for calls in "it"')


def test_an_english_call_keeps_its_skill_scores():
    m = compute_metrics(CALL)
    report = score_locally(CALL, m)
    assert "not_measured" not in report
    assert any(s["status"] == "scored" for s in report["skill_scores"].values())


def test_the_filler_note_names_the_calls_own_fillers():
    said = " ".join(["Bueno, eh, el plan incluye soporte y formación para todo el equipo."] * 5)
    turns = call("P: ¿Qué incluye?", f"R: {said}", "P: Vale.")
    m = compute_metrics(turns, language="es")
    assert m["filler_words"]["by_word"] == {"bueno": 5, "eh": 5}
    assert ("16.7 filler words per 100 words; a short pause works better than 'eh' or "
            "'o sea'.") in score_locally(turns, m)["improvements"]
