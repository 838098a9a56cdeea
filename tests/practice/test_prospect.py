"""The offline prospect, as pure logic: earned next steps, brush-offs, objections, determinism."""

from __future__ import annotations

from pitchlab.practice.prospect import replay
from pitchlab.providers.prospect import Prospect, classify
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
