"""Filler words in Spanish, German and French (pitchlab.analysis.languages): hand-written
sentences with the counts a coach would make, and the ambiguous words used as content words,
which must not count."""

from __future__ import annotations

import pytest

from pitchlab.analysis.languages import analysis_for


def fillers(language: str, text: str) -> dict[str, int]:
    count = analysis_for(language).count_fillers
    assert count is not None
    return dict(count(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("Eh, el plan incluye soporte.", {"eh": 1}),
    ("El precio es, eeeh, razonable.", {"eh": 1}),
    ("Mmm, depende del volumen.", {"mm": 1}),
    ("Ehm, lo reviso con el equipo.", {"ehm": 1}),
    ("Bueno, el contrato es anual.", {"bueno": 1}),
    ("Este, la implementación tarda dos semanas.", {"este": 1}),
    ("Hablamos de este... del precio final.", {"este": 1}),
    ("Pues, no sé si les conviene.", {"pues": 1}),
    ("Es rápido, o sea, lo instalan en un día.", {"o sea": 1}),
    ("Cuesta, digamos, unos cien euros.", {"digamos": 1}),
    ("A ver, ¿cuántos vendedores tienen?", {"a ver": 1}),
    ("Bueno, eh, el precio es, este... razonable, o sea, no es caro.",
     {"bueno": 1, "eh": 1, "este": 1, "o sea": 1}),
])
def test_spanish_fillers(text, expected):
    assert fillers("es", text) == expected


@pytest.mark.parametrize("text", [
    "Este producto es bueno.",  # demonstrative and adjective
    "Es un buen plan, bueno y barato.",
    "Me gusta este.",
    "Ya sea por correo o sea por teléfono, nos adaptamos.",
    "El tipo de contrato es anual.",
    "Vamos a ver la demo.",
    "Pues no lo sé.",  # runs straight on: nothing tells the filler from "then"
    "Dijiste 'este' muchas veces.",  # mentioned, not used
    "¿Eh?",  # asking for a repeat
    "Hablé con Em Torres.",  # a name
])
def test_spanish_content_words_do_not_count(text):
    assert fillers("es", text) == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("Äh, das Angebot gilt bis Freitag.", {"äh": 1}),
    ("Wir können, ähm, nächste Woche starten.", {"ähm": 1}),
    ("Hmm, das muss ich prüfen.", {"hm": 1}),
    ("Öhm, wo waren wir?", {"öhm": 1}),
    ("Also, wir haben drei Pakete.", {"also": 1}),
    ("Das ist halt so bei Jahresverträgen.", {"halt": 1}),
    ("Das ist, quasi, ein Abo.", {"quasi": 1}),
    ("Das läuft sozusagen automatisch.", {"sozusagen": 1}),
    ("Naja, der Preis ist fix.", {"naja": 1}),
    ("Es klemmt, irgendwie.", {"irgendwie": 1}),
    ("Also, äh, das ist halt teuer, sozusagen.",
     {"also": 1, "äh": 1, "halt": 1, "sozusagen": 1}),
])
def test_german_fillers(text, expected):
    assert fillers("de", text) == expected


@pytest.mark.parametrize("text", [
    "Also gut, dann machen wir das.",
    "Wir haben also drei Optionen.",  # "therefore"
    "Das Projekt ist quasi fertig.",  # "practically"
    "Ohne Halt geht es nicht.",  # the noun
    "Halt, das stimmt nicht.",  # the imperative
    "Irgendwie schaffen wir das.",  # "somehow"
    "Hm?",  # asking for a repeat
    "Das Meeting ist um 10 Uhr.",  # German "um" is no hesitation
])
def test_german_content_words_do_not_count(text):
    assert fillers("de", text) == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("Euh, le devis arrive demain.", {"euh": 1}),
    ("Le prix est, heu, négociable.", {"heu": 1}),
    ("Bon, on commence par la démo.", {"bon": 1}),
    ("En fait, le contrat est mensuel.", {"en fait": 1}),
    ("On livre en deux semaines, voilà.", {"voilà": 1}),
    ("Voila, c'est tout.", {"voilà": 1}),  # speech to text drops the accent
    ("C'est simple, quoi.", {"quoi": 1}),
    ("Du coup, vous gagnez du temps.", {"du coup": 1}),
    ("C'est, genre, deux fois plus rapide.", {"genre": 1}),
    ("Bah, ça dépend du volume.", {"bah": 1}),
    ("Ben, on peut en parler.", {"ben": 1}),
    ("Bon, euh, en fait, le prix, voilà.", {"bon": 1, "euh": 1, "en fait": 1, "voilà": 1}),
])
def test_french_fillers(text, expected):
    assert fillers("fr", text) == expected


@pytest.mark.parametrize("text", [
    "C'est un bon produit.",
    "Voilà le rapport.",  # "here is"
    "Ce genre de solution coûte cher.",
    "Tu fais quoi ce soir ?",
    "Il a dit, quoi ?",  # asking "what?"
    "Du coup on a changé de fournisseur.",  # runs on: "so" with its meaning
    "Cela en fait un bon choix.",
    "J'ai parlé avec Ben.",  # a name
    "Tu vois le problème ?",
])
def test_french_content_words_do_not_count(text):
    assert fillers("fr", text) == {}


def test_each_language_counts_only_its_own_fillers():
    assert fillers("es", "Um, euh, äh, el precio.") == {}
    assert fillers("fr", "Eh, bueno, el precio.") == {}
