"""The offline prospect, as pure logic: earned next steps, brush-offs, objections, determinism,
and the language it hears and speaks."""

from __future__ import annotations

import dataclasses

import pytest

from pitchlab.practice.prospect import replay
from pitchlab.providers.prospect import Prospect, ProspectBrief, classify, speech_of
from pitchlab.scenarios.library import SCENARIOS, get_scenario

VP = get_scenario("discovery-busy-vp")
VP_BRIEF = VP.prospect_brief()


def test_the_library_has_six_distinct_scenarios_with_full_personas():
    assert len(SCENARIOS) >= 6
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS)
    for scenario in SCENARIOS:
        persona = scenario.persona
        assert persona.pains and persona.objections and persona.win_condition
        assert scenario.difficulty in {"easy", "medium", "hard"}
        brief = scenario.prospect_brief()
        assert brief.persona is persona and brief.scenario_id == scenario.id
        assert brief.interest_needed == scenario.interest_needed
        assert persona.name in brief.agent_prompt()


def test_classify_reads_the_moves():
    assert "open_question" in classify("What does onboarding look like today?")
    assert "open_question" in classify("walk me through your ramp process")  # no question mark
    assert "question" in classify("Is that a priority this quarter")
    assert "empathy" in classify("That makes sense, I hear you.")
    assert "close" in classify("Would you be open to a meeting next week?")
    assert "pitch" in classify("Our platform lets managers coach faster.")


def test_pitching_before_discovery_gets_the_brush_off():
    prospect = Prospect(VP_BRIEF)
    assert prospect.reply("Our platform is the best coaching tool.") == VP.persona.brush_off


def test_asking_for_a_meeting_too_early_raises_an_objection():
    prospect = Prospect(VP_BRIEF)
    assert prospect.reply("Can we book a demo next week?") == VP.persona.objections[0]


def test_good_discovery_and_handled_objections_earn_the_next_step():
    prospect = Prospect(VP_BRIEF)
    lines = [
        "Hi Marcus, thanks for taking the call.",
        "What are your biggest challenges with new rep ramp?",
        "How do your managers coach today?",
        "Our platform gives managers feedback on every call.",
        "That makes sense, I hear you. What happened with the last tool?",
        "Would you be open to a meeting next week with your enablement lead?",
    ]
    replies = [prospect.reply(line) for line in lines]
    assert replies[1].startswith("Well, since you ask: new reps take six months")
    assert replies[3] == VP.persona.objections[0]
    assert replies[-1] == VP.persona.agreement
    assert prospect.state.agreed


def test_the_same_lines_get_the_same_replies_and_replay_rebuilds_the_state():
    lines = ["Hello", "What keeps you up at night?", "We help teams ramp faster.", "fair point"]
    first = [Prospect(VP_BRIEF).reply(line) for line in lines[:1]]
    a, b = Prospect(VP_BRIEF), Prospect(VP_BRIEF)
    assert [a.reply(x) for x in lines] == [b.reply(x) for x in lines]
    assert replay(VP, lines).state == a.state
    assert first == ["Hi. What's this about?"]


def _brief_in(language: str) -> ProspectBrief:
    persona = dataclasses.replace(VP.persona, pains=("el informe manual nos come dos días",),
                                  objections=("Ya tenemos un proveedor.",),
                                  agreement=speech_of(language).lines["agreement"],
                                  brush_off=speech_of(language).lines["brush_off"])
    return ProspectBrief("custom", persona, interest_needed=1, language=language)


@pytest.mark.parametrize(("language", "line", "moves"), [
    ("es", "¿Qué es lo que más les frena hoy?", {"open_question"}),
    ("es", "¿Usan algún CRM?", {"question"}),
    ("es", "Entiendo, tiene sentido.", {"empathy"}),
    ("es", "¿Le parece si agendamos una reunión la próxima semana?", {"question", "close"}),
    ("es", "Nuestra plataforma ayuda a los equipos.", {"pitch"}),
    ("es", "Hola, buenos días.", {"greeting"}),
    ("de", "Wie sieht Ihr Prozess heute aus?", {"open_question"}),
    ("de", "Nutzen Sie ein CRM?", {"question"}),
    ("de", "Wären Sie offen für einen Termin nächste Woche?", {"question", "close"}),
    ("fr", "Comment gérez-vous cela aujourd'hui ?", {"open_question"}),
    ("fr", "Est-ce que vous utilisez un CRM ?", {"question"}),
    ("fr", "Je comprends, c'est logique.", {"empathy"}),
    ("fr", "Notre solution aide les équipes.", {"pitch"}),
])
def test_classify_reads_the_moves_in_the_calls_language(language, line, moves):
    assert classify(line, language) == moves


def test_the_offline_prospect_speaks_the_scenarios_language():
    prospect = Prospect(_brief_in("es"))
    assert prospect.reply("Hola, buenos días.") == "Hola. ¿De qué se trata?"
    assert prospect.reply("Nuestra plataforma ayuda a los equipos.") == (
        "Me está vendiendo algo y todavía no sabe nada de nosotros.")
    assert prospect.reply("¿Qué es lo que más les frena hoy?") == (
        "Bueno, ya que lo pregunta: el informe manual nos come dos días.")
    assert prospect.reply("¿Le parece si agendamos una reunión la próxima semana?") == (
        "Está bien, me ha convencido. Pongamos un siguiente paso en el calendario.")
    assert Prospect(_brief_in("de")).reply("Hallo!") == "Hallo. Worum geht es?"
    assert Prospect(_brief_in("fr")).reply("Bonjour !") == "Bonjour. C'est à quel sujet ?"
    # a language Pitchlab has no lines for is spoken in English; a regional tag is its language
    assert Prospect(_brief_in("it")).reply("Hi there") == "Hi. What's this about?"
    assert speech_of("es-MX") is speech_of("es")
