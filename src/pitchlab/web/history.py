"""History pages: the rep's past calls, and one call's transcript with its feedback report.

Every read goes through the services behind the API's routes: ``practice.service.list_sessions``
(GET /api/sessions, its cursor and its admin-only ``user_id``), ``visible_session`` and
``visible_transcript`` (GET /api/sessions/{id}[/transcript]: a rep sees their own calls, an admin
their company's) and ``feedback.service.feedback_for`` (GET /api/sessions/{id}/feedback: pending,
ready, failed, purged by retention, none for a cancelled call). The report's charts are drawn by
``web.charts`` from the report's numbers; the progress chart reads the reports of the same rep's
last ``PROGRESS_CALLS`` calls only (one page of the list, one query for their reports).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from pitchlab.analysis import sentiment
from pitchlab.auth.dependencies import Principal
from pitchlab.feedback import service as feedback_service
from pitchlab.feedback.errors import NoFeedbackForCancelledCall
from pitchlab.feedback.schemas import FeedbackMetricsOut
from pitchlab.feedback.scoring import overall_score
from pitchlab.models import PracticeSession
from pitchlab.models.values import FeedbackStatus, SessionStatus, Turn
from pitchlab.practice import service as practice_service
from pitchlab.scenarios.schemas import ScenarioOut
from pitchlab.web import charts
from pitchlab.web.pages import render
from pitchlab.web.routing import WebRoute
from pitchlab.web.session import BrowserUser
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PROGRESS_CALLS = 10  # the progress chart: this many of the rep's latest calls, at most
SKILL_NAMES = {
    "discovery": "Discovery", "objection_handling": "Objection handling", "rapport": "Rapport",
    "value_articulation": "Value articulation", "closing": "Closing",
}
PACE_AXIS_MAX = 240.0  # words per minute at the gauge's right end (unless the rep was faster)


def skill_name(key: str) -> str:
    return SKILL_NAMES.get(key, key.replace("_", " ").capitalize())


def headline_score(metrics: dict[str, Any] | None) -> float | None:
    """The call's overall score (1..5, one decimal) as assignments, analytics and the
    leaderboard count it: the scorecard's weighted score, else the mean of the scored skills;
    None when nothing was scored."""
    score = overall_score(metrics) if metrics else None
    return round(float(score), 1) if score is not None else None


def _call_summary(row: PracticeSession, scenario: ScenarioOut,
                  metrics: dict[str, Any] | None) -> dict[str, Any]:
    seconds = practice_service.duration_seconds(row)
    return {
        "id": row.id, "scenario": scenario.name,  # an archived scenario keeps its name
        "started_at": row.started_at, "status": row.status.value, "mode": row.mode.value,
        "duration": charts.clock(seconds * 1000) if seconds is not None else None,
        "minutes_billed": row.minutes_billed,
        "feedback_status": (row.feedback_status or FeedbackStatus.PENDING).value,
        "score": headline_score(metrics),
    }


async def _reports(session: AsyncSession, rows: Sequence[PracticeSession]
                   ) -> dict[UUID, dict[str, Any]]:
    """The stored reports of these (visible, listed) calls, in one query."""
    ready = [row.id for row in rows if row.feedback_status == FeedbackStatus.READY]
    if not ready:
        return {}
    stored = await feedback_service.reports_of_calls(session, ready)
    return {report.session_id: report.metrics for report in stored}


# ------------------------------------------------------------------------------- the list


@router.get("/history")
async def history(
    request: Request, principal: BrowserUser, session: DbSession,
    user_id: UUID | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    rows, next_cursor = await practice_service.list_sessions(
        session, principal, user_id=user_id, cursor=cursor, limit=limit)
    reports = await _reports(session, rows)
    named = await practice_service.scenarios_of(session, rows)
    calls = [_call_summary(row, named[row.scenario_id], reports.get(row.id)) for row in rows]
    more = None
    if next_cursor:
        more = f"/history?cursor={next_cursor}" + (f"&user_id={user_id}" if user_id else "")
        if limit != 20:
            more += f"&limit={limit}"
    return render(request, "history/list.html",
                  {"nav": "history", "calls": calls, "more": more, "first_page": cursor is None,
                   "own": user_id in (None, principal.user.id)},
                  principal=principal)


# ------------------------------------------------------------------------------- one call


@router.get("/history/{session_id:uuid}")
async def call_page(
    request: Request, session_id: UUID, principal: BrowserUser, session: DbSession
) -> Response:
    row = await practice_service.visible_session(session, principal, session_id)
    # the report first: a purged one answers with the API's message (transcript gone too)
    view = await _feedback_of(session, principal, row)
    _, stored = await practice_service.visible_transcript(session, principal, session_id)
    feedback = await _feedback_context(session, principal, row, view, stored.turns)
    return render(request, "history/call.html", {
        "nav": "history",
        "call": _call_summary(row, await practice_service.scenario_of(session, row),
                              view.metrics if view else None),
        "turns": [{**turn, "at": charts.clock(turn["start_ms"])} for turn in stored.turns],
        "feedback": feedback,
    }, principal=principal)


@router.get("/history/{session_id:uuid}/feedback")
async def feedback_fragment(
    request: Request, session_id: UUID, principal: BrowserUser, session: DbSession
) -> Response:
    """The feedback section alone: what the waiting page polls (htmx) until it is ready."""
    row = await practice_service.visible_session(session, principal, session_id)
    view = await _feedback_of(session, principal, row)
    turns: Sequence[Turn] = []
    if view is not None and view.status == FeedbackStatus.READY:
        _, stored = await practice_service.visible_transcript(session, principal, session_id)
        turns = stored.turns
    feedback = await _feedback_context(session, principal, row, view, turns)
    return render(request, "history/_feedback.html",
                  {"call": {"id": row.id}, "feedback": feedback}, principal=principal)


async def _feedback_of(session: AsyncSession, principal: Principal, row: PracticeSession
                       ) -> feedback_service.FeedbackView | None:
    """The API's feedback read; None for a cancelled call (which the API answers with 404
    ``NoFeedbackForCancelledCall``: here the page of the call says so instead)."""
    if row.status == SessionStatus.CANCELLED:
        return None
    return await feedback_service.feedback_for(session, principal, row.id)


async def _feedback_context(session: AsyncSession, principal: Principal, row: PracticeSession,
                            view: feedback_service.FeedbackView | None,
                            turns: Sequence[Turn]) -> dict[str, Any]:
    if view is None:
        return {"status": "none", "message": NoFeedbackForCancelledCall.default_message}
    if view.status == FeedbackStatus.PENDING:
        return {"status": "pending", "in_progress": row.status == SessionStatus.IN_PROGRESS}
    if view.status == FeedbackStatus.FAILED:
        return {"status": "failed", "error": view.error}
    assert view.metrics is not None
    progress = await _progress(session, principal, row)
    return {"status": "ready", "created_at": view.created_at,
            **report_view(view.metrics, turns, progress,
                          own=row.user_id == principal.user.id)}


async def _progress(session: AsyncSession, principal: Principal, row: PracticeSession
                    ) -> list[tuple[str, float]]:
    """(date, headline score) of the call owner's latest calls with a scored report, oldest
    first: one page of their list (the API's rule: an admin may list their company's reps)."""
    rows, _ = await practice_service.list_sessions(
        session, principal, user_id=row.user_id, cursor=None, limit=PROGRESS_CALLS)
    reports = await _reports(session, rows)
    points = []
    for call in reversed(rows):
        score = headline_score(reports.get(call.id))
        if score is not None:
            points.append((call.started_at.strftime("%d %b"), score))
    return points


# ------------------------------------------------------------------------------- the report


def report_view(raw: dict[str, Any], turns: Sequence[Turn],
                progress: Sequence[tuple[str, float]], *, own: bool = True) -> dict[str, Any]:
    """The report's numbers as charts and lists (pure: the tests feed it a report)."""
    m = FeedbackMetricsOut.model_validate(raw)
    not_measured = set(m.not_measured)
    estimated = set(m.estimated)
    reference = m.reference

    def band(name: str) -> tuple[float | None, float | None]:
        figures = reference.get(name, {})
        low, high = figures.get("min"), figures.get("max")
        return (low if isinstance(low, (int, float)) else None,
                high if isinstance(high, (int, float)) else None)

    # talk ratio
    ratio_title = "Talk ratio: your share of the talk time against the prospect's"
    if "talk_ratio" in not_measured:
        talk = charts.no_data("chart-talk", ratio_title, "Nobody talked: no talk ratio.")
    else:
        low, high = band("talk_ratio")
        talk = charts.talk_ratio("chart-talk", ratio_title, m.talk_ratio, band_min=low,
                                 band_max=high, rep_seconds=m.talk_time_seconds.rep,
                                 prospect_seconds=m.talk_time_seconds.prospect)
    # pace
    pace_title = "Pace: your words per minute against the reference band"
    if "pace_wpm" in not_measured:
        pace = charts.no_data("chart-pace", pace_title,
                              "Not measured: a typed call has no speaking pace.")
    else:
        low, high = band("pace_wpm")
        pace = charts.gauge("chart-pace", pace_title, m.pace_wpm, band_min=low, band_max=high,
                            axis_max=max(PACE_AXIS_MAX, m.pace_wpm), unit=" wpm")
    # fillers
    fillers = charts.bar_chart(
        "chart-fillers", "Filler words by word",
        [charts.Bar(word, count) for word, count in
         sorted(m.filler_words.by_word.items(), key=lambda item: (-item[1], item[0]))],
        colour=charts.PROSPECT, empty="No filler words: well done.", value_header="Times said")
    # sentiment over the call, turn by turn (the report's own scorer)
    series = []
    for speaker, name, colour in (("rep", "You", charts.REP),
                                  ("prospect", "Prospect", charts.PROSPECT)):
        points = [(turn["start_ms"] / 1000, sentiment.compound(turn["text"]))
                  for turn in turns if turn["speaker"] == speaker]
        series.append(charts.Series(name, points, colour))
    seconds = [x for s in series for x, _ in s.points]
    ends = sorted({min(seconds), max(seconds)}) if seconds else []
    mood = charts.line_chart(
        "chart-sentiment", "Sentiment over the call (-1 negative to 1 positive)", series,
        y_min=-1, y_max=1, y_ticks=(-1, 0, 1), zero_line=True, x_header="Second of the call",
        x_labels=[(x, charts.clock(x * 1000)) for x in ends],
        empty="No turns to read sentiment from.")
    # skills
    skills = []
    for key, skill in m.skill_scores.items():
        skills.append({"key": key, "name": skill_name(key), "score": skill.score,
                       "observed": skill.status == "scored" and skill.score is not None,
                       "evidence": skill.evidence})
    skill_chart = charts.bar_chart(
        "chart-skills", "Skill scores, 1 to 5",
        [charts.Bar(skill_name(key), skill.score if skill.status == "scored" else None,
                    "not observed") for key, skill in m.skill_scores.items()],
        maximum=5, value_header="Score out of 5",
        empty="No skill scores: the call gave nothing to score.")
    scorecard = None
    if m.scorecard is not None:
        scorecard = {"name": m.scorecard.name or "Scorecard", "version": m.scorecard.version,
                     "criteria": [{"id": c.id, "name": c.name, "weight": charts.fmt(c.weight),
                                   "score": c.score, "evidence": c.evidence,
                                   "observed": c.status == "scored" and c.score is not None}
                                  for c in m.scorecard.criteria]}
    # moments
    end_ms = max([m.duration_seconds * 1000] + [t["end_ms"] for t in turns])
    moments = [{"number": i, "at": charts.clock(x.start_ms), "skill": skill_name(x.skill),
                "kind": x.kind, "quote": x.quote, "why": x.why, "try_instead": x.try_instead,
                "turn_index": x.turn_index}
               for i, x in enumerate(sorted(m.moments, key=lambda x: x.start_ms), start=1)]
    timeline = charts.timeline(
        "chart-moments", "Coaching moments on the call's timeline", end_ms,
        [charts.Marker(x.start_ms, skill_name(x.skill), x.quote, x.kind == "strength")
         for x in sorted(m.moments, key=lambda x: x.start_ms)])
    # progress
    whose = "your" if own else "this rep's"
    progress_chart = charts.line_chart(
        "chart-progress", f"Progress: {whose} overall score over the latest scored calls",
        [charts.Series("Overall score", [(i, score) for i, (_, score) in enumerate(progress)],
                       charts.GOOD)],
        y_min=1, y_max=5, y_ticks=(1, 2, 3, 4, 5), x_header="Call",
        x_labels=[(i, label) for i, (label, _) in enumerate(progress)],
        point_labels=[label for label, _ in progress],
        empty="No scored calls yet.")
    charts_html: dict[str, Markup] = {
        "talk": talk, "pace": pace, "fillers": fillers, "sentiment": mood,
        "skills": skill_chart, "moments": timeline, "progress": progress_chart,
    }
    return {
        "charts": charts_html, "skills": skills, "moments": moments, "scorecard": scorecard,
        "summary": m.summary, "strengths": m.strengths, "improvements": m.improvements,
        "estimated": sorted(estimated), "scored_by": m.scored_by,
        "numbers": {
            "talk_ratio": round(m.talk_ratio * 100), "pace_wpm": charts.fmt(m.pace_wpm),
            "fillers": m.filler_words.count,
            "fillers_per_100": charts.fmt(m.filler_words.per_100_words),
            "questions": m.questions_asked,
            "longest_monologue": charts.fmt(m.longest_monologue_seconds, 0),
            "sentiment_rep": charts.fmt(m.sentiment.rep, 2),
            "sentiment_prospect": charts.fmt(m.sentiment.prospect, 2),
            "prospect_trend": charts.fmt(m.sentiment.prospect_trend, 2),
            "pace_measured": "pace_wpm" not in not_measured,
        },
    }
