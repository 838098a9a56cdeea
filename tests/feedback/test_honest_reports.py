"""Reports say only what the call showed (issue 9): a call in which the rep said nothing has
nothing to score; a skill the call gave no occasion for is not observed, never a low score; a
text call's clock-made numbers are marked estimated and never commented on."""

from __future__ import annotations

import pytest

from tests.auth.helpers import bearer, drain_jobs
from tests.practice.helpers import rep, start

SKILLS = ("discovery", "objection_handling", "rapport", "value_articulation", "closing")
NOT_OBSERVED = {"score": None, "status": "not_observed", "evidence": []}
# estimated from words and fitted to the clock, in a typed call
CLOCK_MADE = {"talk_time_seconds", "talk_ratio", "longest_monologue_seconds",
              "longest_customer_story_seconds", "interactivity"}
# what a typed call does not have at all
NOT_TYPED = {"pace_wpm", "patience_seconds"}
# what the notes would say about pace and patience
ABOUT_PACE_OR_PAUSES = ("words a minute", "wpm", "pause", "instantly")


async def _report(client, app, tokens, sid: str) -> dict:
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    assert ended.status_code == 200 and ended.json()["feedback_status"] == "pending"
    await drain_jobs(app)
    response = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    return body["metrics"]


async def _say(client, tokens, sid: str, *lines: str) -> None:
    for line in lines:
        response = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                                     json={"text": line})
        assert response.status_code == 200


def _prose(metrics: dict) -> str:
    return " ".join([metrics["summary"], *metrics["strengths"], *metrics["improvements"]]).lower()


@pytest.mark.parametrize("mode", ["text", "voice"])
async def test_a_call_without_a_word_has_nothing_to_score(client, app, owner_url, mode):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode=mode, scenario_id="discovery-busy-vp"))["id"]
    metrics = await _report(client, app, tokens, sid)
    assert metrics["skill_scores"] == dict.fromkeys(SKILLS, NOT_OBSERVED)
    assert metrics["strengths"] == []
    assert metrics["summary"].startswith("Nothing to score")
    # at most one line of advice, and it invents nothing about the call
    assert len(metrics["improvements"]) == 1
    assert "next time" in metrics["improvements"][0].lower()
    assert not any(word in _prose(metrics) for word in ("strong", "/5", *ABOUT_PACE_OR_PAUSES))
    # the numbers that need the rep's words are not presented as measured
    assert {"pace_wpm", "talk_ratio", "patience_seconds",
            "filler_words.per_100_words"} <= set(metrics["not_measured"])
    assert metrics["word_count"]["rep"] == 0 and metrics["questions_asked"] == 0
    assert metrics["mode"] == mode and metrics["call_type"] == "discovery"
    assert metrics["scored_by"] == "local"


async def test_an_opening_line_alone_is_still_nothing_to_score(client, app, owner_url):
    """A text call whose only turn is blank-ish punctuation: the prospect spoke, the rep said
    no word."""
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text", scenario_id="discovery-busy-vp"))["id"]
    await _say(client, tokens, sid, "...")
    metrics = await _report(client, app, tokens, sid)
    assert metrics["word_count"] == {"rep": 0, "prospect": metrics["word_count"]["prospect"]}
    assert metrics["word_count"]["prospect"] > 0  # the opening line and a reply
    assert metrics["skill_scores"] == dict.fromkeys(SKILLS, NOT_OBSERVED)
    assert metrics["strengths"] == [] and metrics["summary"].startswith("Nothing to score")


async def test_skills_without_an_occasion_are_not_observed(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text", scenario_id="discovery-busy-vp"))["id"]
    # questions only: no pitch (so no objection and no value to articulate)
    await _say(client, tokens, sid, "What are your biggest challenges with ramping new reps?",
               "How do your managers coach calls today?")
    metrics = await _report(client, app, tokens, sid)
    skills = metrics["skill_scores"]
    assert skills["objection_handling"] == NOT_OBSERVED
    assert skills["value_articulation"] == NOT_OBSERVED
    assert skills["discovery"]["status"] == "scored" and 1 <= skills["discovery"]["score"] <= 5
    assert skills["closing"]["status"] == "scored"
    assert "Not observed in this call: objection handling, value articulation" in metrics["summary"]
    assert "objection" not in " ".join(metrics["strengths"] + metrics["improvements"]).lower()


async def test_a_text_calls_clock_made_numbers_are_marked_estimated(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text", scenario_id="discovery-busy-vp"))["id"]
    await _say(client, tokens, sid,
               "Hi Marcus, thanks for taking the call.",
               "What are your biggest challenges with ramping new reps?",
               "Our platform helps managers coach faster, which means reps ramp in half the time.",
               "That makes sense, I hear you. What happened with the last tool?",
               "Would you be open to a meeting next Thursday at 10am with your enablement lead?")
    metrics = await _report(client, app, tokens, sid)
    assert metrics["mode"] == "text"
    assert set(metrics["estimated"]) >= CLOCK_MADE
    assert set(metrics["not_measured"]) >= NOT_TYPED
    assert metrics["pace_wpm"] == 0 and metrics["patience_seconds"] == 0
    talk = metrics["talk_time_seconds"]
    # Each figure is rounded to the millisecond on its own: where the turns fill the whole call,
    # the two rounded shares may exceed the rounded duration by up to 1.5 ms.
    assert talk["rep"] + talk["prospect"] <= metrics["duration_seconds"] + 0.0015 + 1e-9
    assert metrics["longest_monologue_seconds"] <= metrics["duration_seconds"]
    assert not any(word in _prose(metrics) for word in ABOUT_PACE_OR_PAUSES)
    assert "you wrote" in metrics["summary"].lower() and "% of the words" in metrics["summary"]
    assert all(s["status"] == "scored" for s in metrics["skill_scores"].values())
