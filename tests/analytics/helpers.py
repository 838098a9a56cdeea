"""Fixture calls for the analytics tests: sessions and feedback rows with chosen metrics,
written as the database owner so that every figure can be computed by hand."""

from __future__ import annotations

import json
from datetime import datetime

import psycopg

from pitchlab.database_setup import libpq_dsn


def skill(score: int | None) -> dict:
    if score is None:
        return {"score": None, "status": "not_observed", "evidence": []}
    return {"score": score, "status": "scored", "evidence": []}


def metrics(*, call_type: str = "discovery", talk_ratio: float = 0.5, fillers: float = 0.0,
            questions: float = 0.0, skills: dict | None = None,
            criteria: list[dict] | None = None) -> dict:
    return {
        "version": 2, "call_type": call_type, "talk_ratio": talk_ratio,
        "filler_words": {"count": 0, "per_100_words": fillers, "by_word": {}},
        "questions_per_10_minutes": questions, "questions_asked": 0, "duration_seconds": 300,
        "skill_scores": {name: skill(score) for name, score in (skills or {}).items()},
        "scorecard": {"id": "sc", "version": 1, "criteria": criteria} if criteria else None,
        "summary": "", "strengths": [], "improvements": [], "moments": [],
    }


def add_call(owner_url, email: str, ended_at: str, *, score: float | None, minutes: int = 1,
             status: str = "completed", scenario_id: str = "inbound-lead",
             metrics_body: dict | None = None) -> None:
    """A call of the user ``email`` that ended at ``ended_at`` (UTC), with its feedback unless
    ``metrics_body`` is None and ``score`` is None (a call whose feedback never came)."""
    ended = datetime.fromisoformat(ended_at)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        session_id = conn.execute(
            "INSERT INTO sessions (user_id, company_id, status, scenario_id, mode, started_at,"
            " ended_at, minutes_billed, feedback_status)"
            " SELECT id, company_id, %s, %s, 'text', %s, %s, %s, 'ready' FROM users"
            " WHERE email = %s RETURNING id",
            (status, scenario_id, ended, ended if status == "completed" else None, minutes,
             email)).fetchone()[0]
        if metrics_body is None and score is None:
            return
        conn.execute(
            "INSERT INTO feedback (session_id, company_id, metrics, scored_by, rubric_version,"
            " score) SELECT id, company_id, %s, 'local', 'test', %s FROM sessions WHERE id = %s",
            (json.dumps(metrics_body or metrics()), score, session_id))


def set_user(owner_url, email: str, **columns) -> None:
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        for column, value in columns.items():
            conn.execute(f"UPDATE users SET {column} = %s WHERE email = %s", (value, email))
