"""Questions in Spanish, German and French (pitchlab.analysis.languages), by FEEDBACK.md
"Questions": hand-written sentences with the number of requests a coach would count, and
whether each question is open (what/how/why or a request to tell) or closed."""

from __future__ import annotations

import pytest

from pitchlab.analysis.languages import analysis_for


def asked(language: str, text: str) -> int:
    questions_in = analysis_for(language).questions_in
    assert questions_in is not None
    return len(questions_in(text))


def is_open(language: str, sentence: str) -> bool:
    test = analysis_for(language).is_open_question
    assert test is not None
    return test(sentence)


@pytest.mark.parametrize(("text", "count", "open_"), [
    ("¿Cuántos vendedores tienen?", 1, True),
    ("Cuénteme cómo lo hacen hoy.", 1, True),
    ("Qué usan hoy para las rutas", 1, True),  # the "?" dropped; the accent asks
    ("¿Por qué cambiaron de proveedor?", 1, True),
    ("Perfecto, ¿y cómo miden las ventas?", 1, True),
    ("¿Qué CRM usan y quién firma el contrato?", 2, True),
    ("¿Usan Salesforce o HubSpot?", 1, False),  # an alternative counts once
    ("Tienen cuarenta vendedores, ¿no?", 1, False),
    ("¿Le va bien el jueves?", 1, False),
    ("¿Con quién más hablo?", 1, False),
])
def test_spanish_questions(text, count, open_):
    assert asked("es", text) == count
    assert is_open("es", text) is open_


@pytest.mark.parametrize("text", [
    "¡Qué bien!",
    "Qué interesante.",  # an exclamation without its marks
    "Cuando firmen, empezamos.",  # "cuando" without its accent states
    "Lo que hacemos es automatizar las rutas.",
    "¿En serio?",  # a newsmark
    "Nosotros estamos en Madrid?",  # uptalk about the rep's own side
    "¿Por qué importa? Porque ahorra tiempo.",  # the rep answers it
])
def test_spanish_non_questions(text):
    assert asked("es", text) == 0


@pytest.mark.parametrize(("text", "count", "open_"), [
    ("Haben Sie schon ein CRM?", 1, False),
    ("Haben Sie schon ein CRM", 1, False),  # verb first, the "?" dropped
    ("Ist das ein Problem für Ihr Team", 1, False),
    ("Wie viele Vertriebler haben Sie", 1, True),
    ("Warum haben Sie gewechselt?", 1, True),
    ("Was kostet Sie das heute und wer entscheidet?", 2, True),
    ("Erzählen Sie mir von Ihrem Prozess.", 1, True),
    ("Sie haben vierzig Leute, oder?", 1, False),
    ("Mit wem arbeiten Sie zusammen?", 1, False),
    ("Also, welche Tools nutzen Sie", 1, False),
])
def test_german_questions(text, count, open_):
    assert asked("de", text) == count
    assert is_open("de", text) is open_


@pytest.mark.parametrize("text", [
    "Was wir machen, ist einfach.",  # statement order
    "Wie Sie wissen, ist der Preis fix.",
    "Wie schön!",
    "Wie schön.",
    "Was für ein tolles Quartal.",
    "Kann ich verstehen.",  # topic drop: "(Das) kann ich verstehen"
    "Nutzen Sie die Gelegenheit.",  # an imperative
    "Wirklich?",  # a newsmark
    "Wir sind in Berlin?",  # uptalk
    "Warum ist das wichtig? Weil es Zeit spart.",  # the rep answers it
])
def test_german_non_questions(text):
    assert asked("de", text) == 0


@pytest.mark.parametrize(("text", "count", "open_"), [
    ("Est-ce que vous avez un budget ?", 1, False),
    ("Est-ce que vous avez un budget", 1, False),
    ("Pouvez-vous me montrer votre processus", 1, False),
    ("Y a-t-il d'autres décideurs", 1, False),
    ("Qu'est-ce que vous utilisez aujourd'hui ?", 1, True),
    ("Comment gérez-vous les relances", 1, True),
    ("Combien de commerciaux avez-vous", 1, True),
    ("Quel est votre budget", 1, True),
    ("Dites-moi comment vous travaillez.", 1, True),
    ("Vous êtes sur Salesforce, non ?", 1, False),
    ("On se voit mardi ?", 1, False),  # a proposal
    ("Quels outils utilisez-vous et comment mesurez-vous les résultats ?", 2, True),
])
def test_french_questions(text, count, open_):
    assert asked("fr", text) == count
    assert is_open("fr", text) is open_


@pytest.mark.parametrize("text", [
    "Quand vous aurez signé, on commence.",
    "Envoyez-nous le devis.",  # an imperative with its object
    "Asseyez-vous.",
    "Le rendez-vous est mardi.",
    "Peut-être la semaine prochaine.",
    "Ah bon ?",  # a newsmark
    "Quel plaisir !",
    "Quel plaisir.",
    "Je vous appelle au sujet du devis ?",  # uptalk about the rep's own errand
    "Pourquoi c'est important ? Parce que ça coûte cher.",  # the rep answers it
])
def test_french_non_questions(text):
    assert asked("fr", text) == 0
