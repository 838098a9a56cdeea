"""The report page's view of a feedback report (pure: a report in, charts and lists out)."""

from __future__ import annotations

from pitchlab.web.history import headline_score, report_view

REPORT = {
    "version": 2, "scored_by": "local", "mode": "voice", "call_type": "discovery",
    "duration_seconds": 120.0, "talk_time_seconds": {"rep": 48.0, "prospect": 72.0},
    "talk_ratio": 0.4, "word_count": {"rep": 120, "prospect": 180}, "pace_wpm": 150.0,
    "filler_words": {"count": 3, "per_100_words": 2.5, "by_word": {"um": 2, "like": 1}},
    "longest_monologue_seconds": 20.0, "longest_customer_story_seconds": 30.0,
    "questions_asked": 4, "interactivity": 3.0, "patience_seconds": 0.8,
    "sentiment": {"rep": 0.2, "prospect": 0.1, "prospect_trend": 0.3},
    "skill_scores": {
        "discovery": {"score": 4, "status": "scored", "evidence": ["how many reps"]},
        "closing": {"score": 2, "status": "scored", "evidence": []},
        "objection_handling": {"score": None, "status": "not_observed", "evidence": []},
    },
    "moments": [{"turn_index": 1, "start_ms": 60_000, "skill": "closing",
                 "kind": "improvement", "quote": "talk soon", "why": "vague",
                 "try_instead": "Tuesday at 10?"}],
    "estimated": ["pace_wpm"], "not_measured": [],
    "reference": {"pace_wpm": {"min": 140, "max": 170, "source": "x"},
                  "talk_ratio": {"min": 0.35, "max": 0.5, "target": 0.43, "source": "y"}},
    "summary": "A good start.", "strengths": ["Discovery"], "improvements": ["Closing"],
}
TURNS = [
    {"speaker": "prospect", "text": "Hello, this is Dana.", "start_ms": 0, "end_ms": 2000},
    {"speaker": "rep", "text": "Great to meet you! How many reps?", "start_ms": 3000,
     "end_ms": 6000},
]


def test_the_headline_score_is_the_mean_of_the_scored_skills():
    assert headline_score(REPORT) == 3.0
    assert headline_score({"skill_scores": {}}) is None
    assert headline_score(None) is None


def test_the_report_becomes_charts_with_the_reports_numbers():
    view = report_view(REPORT, TURNS, [("01 Nov", 2.5), ("02 Nov", 3.0)])
    pace = str(view["charts"]["pace"])
    assert 'data-min="140"' in pace and 'data-max="170"' in pace and 'data-value="150"' in pace
    talk = str(view["charts"]["talk"])
    assert "You 40%" in talk and "Good range 35\u201350%" in talk
    fillers = str(view["charts"]["fillers"])
    assert fillers.index(">um<") < fillers.index(">like<")  # the most said first
    assert str(view["charts"]["progress"]).count('class="point"') == 2
    assert str(view["charts"]["sentiment"]).count('class="point"') == 2  # one per turn
    assert str(view["charts"]["moments"]).count('class="moment improvement"') == 1
    skills = {s["key"]: s for s in view["skills"]}
    assert skills["discovery"]["evidence"] == ["how many reps"]
    assert skills["objection_handling"]["observed"] is False
    assert "not observed" in str(view["charts"]["skills"])
    assert view["moments"][0]["at"] == "1:00" and view["estimated"] == ["pace_wpm"]


def test_a_typed_call_has_no_pace_and_no_turns_no_sentiment():
    typed = {**REPORT, "pace_wpm": 0.0, "not_measured": ["pace_wpm"], "moments": [],
             "filler_words": {"count": 0, "per_100_words": 0.0, "by_word": {}}}
    view = report_view(typed, [], [])
    assert "Not measured" in str(view["charts"]["pace"])
    assert "No filler words" in str(view["charts"]["fillers"])
    assert "No turns" in str(view["charts"]["sentiment"])
    assert "No coaching moments" in str(view["charts"]["moments"])
    assert "No scored calls yet" in str(view["charts"]["progress"])


def test_a_scorecard_is_listed_as_scored_with_its_version():
    card = {"id": "7f1b7bde-9c4e-4e0e-8e3a-1d7a0f3e9b11", "name": "BANT", "version": 2,
            "methodology": "bant", "criteria": [
                {"id": "budget", "name": "Budget", "weight": 1.5, "score": 4,
                 "status": "scored", "evidence": ["what budget"]},
                {"id": "authority", "name": "Authority", "weight": 1, "score": None,
                 "status": "not_observed", "evidence": []}]}
    view = report_view({**REPORT, "scorecard": card}, TURNS, [])
    assert view["scorecard"]["version"] == 2 and view["scorecard"]["name"] == "BANT"
    budget, authority = view["scorecard"]["criteria"]
    assert budget == {"id": "budget", "name": "Budget", "weight": "1.5", "score": 4,
                      "evidence": ["what budget"], "observed": True}
    assert authority["observed"] is False
    assert report_view(REPORT, TURNS, [])["scorecard"] is None


def test_the_headline_score_is_the_scorecards_weighted_score_when_there_is_one():
    """The history's score is the one assignments, analytics and the leaderboard count."""
    card = {"id": "7f1b7bde-9c4e-4e0e-8e3a-1d7a0f3e9b11", "version": 1, "criteria": [
        {"id": "a", "name": "A", "weight": 3, "score": 5, "status": "scored", "evidence": []},
        {"id": "b", "name": "B", "weight": 1, "score": 1, "status": "scored", "evidence": []},
        {"id": "c", "name": "C", "weight": 9, "score": None, "status": "not_observed",
         "evidence": []}]}
    assert headline_score({**REPORT, "scorecard": card}) == 4.0  # (3*5 + 1*1) / 4
    assert headline_score({**REPORT, "scorecard": None}) == 3.0  # the skills' mean
