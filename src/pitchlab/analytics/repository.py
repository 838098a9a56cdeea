"""The analytics read model: aggregates over other domains' tables, in SQL.

Analytics owns no table. It READS ``sessions``, ``feedback`` and ``users`` directly with SQL:
a read model aggregating stored metrics (``feedback.metrics`` JSONB and ``feedback.score``)
over thousands of calls cannot go through those domains' services one report at a time. It
never writes them, and imports none of their repository modules (the import contracts forbid
that; reading the tables is allowed).

Every query names the company too, on top of row-level security. A call counts when it is
completed, its feedback is stored, and it ended inside the window (UTC, ``start`` inclusive,
``stop`` exclusive). A skill counts only where its status is ``scored``.

Trend: the least-squares slope of a score against the call's ordinal (1 = the rep's earliest
counted call in the window, by ``ended_at``), times 10: points gained per 10 calls. For a skill
or a criterion, calls where it was not scored are left out of the fit but keep their ordinal.
``regr_slope`` is null under two scored calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Figures = dict[str, dict[str, Any]]


def _number(path: str) -> str:
    """A JSON number of the metrics at ``path`` as numeric; null for anything else."""
    return f"CASE WHEN jsonb_typeof({path}) = 'number' THEN ({path})::numeric END"


def _trend(score: str) -> str:
    return f"round((regr_slope({score}, n) * 10)::numeric, 2)"


@dataclass(frozen=True)
class Window:
    start: datetime
    stop: datetime


# The counted calls, one row each, with the figures read once from the metrics. ``{scope}``
# narrows to the rep(s) asked about; ``n`` is the call's ordinal for the trend.
_CALLS = f"""
calls AS (
    SELECT s.user_id, s.ended_at, s.minutes_billed, f.score,
           (s.ended_at AT TIME ZONE 'UTC')::date AS day,
           {_number("f.metrics -> 'talk_ratio'")} AS talk_ratio,
           {_number("f.metrics -> 'filler_words' -> 'per_100_words'")} AS fillers,
           {_number("f.metrics -> 'questions_per_10_minutes'")} AS questions,
           f.metrics -> 'skill_scores' AS skill_scores,
           f.metrics -> 'scorecard' -> 'criteria' AS criteria,
           f.metrics ->> 'call_type' AS call_type,
           row_number() OVER (PARTITION BY s.user_id ORDER BY s.ended_at, s.id) AS n
    FROM sessions s
    JOIN feedback f ON f.session_id = s.id AND f.company_id = s.company_id
    WHERE s.company_id = :company_id AND f.company_id = :company_id
      AND s.status = 'completed'
      AND s.ended_at >= :start AND s.ended_at < :stop
      AND {{scope}}
)"""

# One row per (group, skill) scored at least once; ``{group}`` is the grouping column(s).
_SKILLS = """
SELECT {group}, k.key AS name,
       round(avg(k.score), 2) AS average, """ + _trend("k.score") + """ AS trend
FROM calls c
CROSS JOIN LATERAL (
    SELECT e.key, """ + _number("e.value -> 'score'") + """ AS score
    FROM jsonb_each(CASE WHEN jsonb_typeof(c.skill_scores) = 'object'
                         THEN c.skill_scores ELSE '{{}}'::jsonb END) AS e
    WHERE e.value ->> 'status' = 'scored'
) k
WHERE k.score IS NOT NULL
GROUP BY {group}, k.key
"""

# One row per (group, criterion id) scored at least once; its name as the latest call says.
_CRITERIA = """
SELECT {group}, k.id AS name, (array_agg(k.label ORDER BY c.ended_at DESC))[1] AS label,
       round(avg(k.score), 2) AS average, """ + _trend("k.score") + """ AS trend
FROM calls c
CROSS JOIN LATERAL (
    SELECT e ->> 'id' AS id, coalesce(e ->> 'name', e ->> 'id') AS label,
           """ + _number("e -> 'score'") + """ AS score
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(c.criteria) = 'array'
                                   THEN c.criteria ELSE '[]'::jsonb END) AS e
) k
WHERE k.score IS NOT NULL AND k.id IS NOT NULL
GROUP BY {group}, k.id
"""

_TOTALS = """
SELECT {group}, count(*) AS calls, coalesce(sum(minutes_billed), 0) AS minutes,
       round(avg(score), 2) AS score_average, """ + _trend("score") + """ AS score_trend,
       round(avg(talk_ratio), 3) AS talk_ratio, round(avg(fillers), 2) AS fillers,
       round(avg(questions), 2) AS questions
FROM calls
GROUP BY {group}
"""


def _figures(rows: Any, *, named: bool = False) -> Figures:
    return {
        row.name: {"average": row.average, "trend": row.trend,
                   **({"name": row.label} if named else {})}
        for row in rows
    }


def _params(company_id: UUID, window: Window, **more: Any) -> dict[str, Any]:
    return {"company_id": company_id, "start": window.start, "stop": window.stop, **more}


# --- a rep's own progress -------------------------------------------------------------------

_ME_SCOPE = "s.user_id = :user_id AND (CAST(:call_type AS text) IS NULL " \
    "OR f.metrics ->> 'call_type' = :call_type)"


@dataclass(frozen=True)
class Progress:
    totals: Any  # the _TOTALS row, or None without calls
    skills: Figures
    criteria: Figures
    days: list[Any]  # _TOTALS rows grouped by day
    day_skills: dict[date, dict[str, Decimal]]
    call_types: list[Any]  # _TOTALS rows grouped by call type


async def progress(
    session: AsyncSession, company_id: UUID, user_id: UUID, window: Window,
    call_type: str | None,
) -> Progress:
    """One rep's figures over the window, overall, per day and per call type."""
    params = _params(company_id, window, user_id=user_id, call_type=call_type)
    head = "WITH " + _CALLS.format(scope=_ME_SCOPE) + " "

    async def run(body: str) -> list[Any]:
        return list((await session.execute(text(head + body), params)).all())

    totals = await run(_TOTALS.format(group="user_id"))
    day_skills: dict[date, dict[str, Decimal]] = {}
    for row in await run(_SKILLS.format(group="c.day")):
        day_skills.setdefault(row.day, {})[row.name] = row.average
    return Progress(
        totals=totals[0] if totals else None,
        skills=_figures(await run(_SKILLS.format(group="c.user_id"))),
        criteria=_figures(await run(_CRITERIA.format(group="c.user_id")), named=True),
        days=await run(_TOTALS.format(group="day") + " ORDER BY day"),
        day_skills=day_skills,
        call_types=await run(_TOTALS.format(group="call_type") + " ORDER BY call_type"),
    )


# --- the team table -------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    user_id: UUID
    name: str | None
    created_at: datetime
    disabled: bool
    totals: Any  # the _TOTALS row, or None without calls
    skills: Figures
    criteria: Figures


_MEMBERS = """
SELECT id, name, created_at, disabled_at IS NOT NULL AS disabled
FROM users
WHERE company_id = :company_id AND role IN ('admin', 'user')
  AND (CAST(:after_at AS timestamptz) IS NULL OR (created_at, id) > (:after_at, :after_id))
ORDER BY created_at, id
LIMIT :limit
"""


async def team(
    session: AsyncSession, company_id: UUID, window: Window, *,
    after: tuple[datetime, UUID] | None, limit: int | None,
) -> list[Member]:
    """The company's members (admins practise too) after the keyset ``after``, oldest
    account first, each with their figures over the window; reps with no call included."""
    after_at, after_id = after if after else (None, None)
    members = (await session.execute(text(_MEMBERS), {
        "company_id": company_id, "after_at": after_at, "after_id": after_id, "limit": limit,
    })).all()
    if not members:
        return []
    params = _params(company_id, window, user_ids=[m.id for m in members])
    head = "WITH " + _CALLS.format(scope="s.user_id = ANY(:user_ids)") + " "

    async def run(body: str) -> list[Any]:
        return list((await session.execute(text(head + body), params)).all())

    totals = {row.user_id: row for row in await run(_TOTALS.format(group="user_id"))}
    skills: dict[UUID, list[Any]] = {}
    for row in await run(_SKILLS.format(group="c.user_id")):
        skills.setdefault(row.user_id, []).append(row)
    criteria: dict[UUID, list[Any]] = {}
    for row in await run(_CRITERIA.format(group="c.user_id")):
        criteria.setdefault(row.user_id, []).append(row)
    return [
        Member(user_id=m.id, name=m.name, created_at=m.created_at, disabled=m.disabled,
               totals=totals.get(m.id), skills=_figures(skills.get(m.id, [])),
               criteria=_figures(criteria.get(m.id, []), named=True))
        for m in members
    ]


# --- the leaderboard ------------------------------------------------------------------------

_LEADERBOARD = """
WITH averages AS (
    SELECT u.id AS user_id, u.name, round(avg(f.score), 2) AS score, count(*) AS calls
    FROM users u
    JOIN sessions s ON s.user_id = u.id AND s.company_id = u.company_id
    JOIN feedback f ON f.session_id = s.id AND f.company_id = s.company_id
    WHERE u.company_id = :company_id AND s.company_id = :company_id
      AND u.disabled_at IS NULL AND u.role IN ('admin', 'user')
      AND s.status = 'completed' AND s.ended_at >= :start AND s.ended_at < :stop
      AND f.score IS NOT NULL
    GROUP BY u.id, u.name
    HAVING count(*) >= :min_calls
)
SELECT user_id, name, score, calls, rank() OVER (ORDER BY score DESC) AS rank
FROM averages
ORDER BY rank, name, user_id
LIMIT :limit
"""


async def leaderboard(
    session: AsyncSession, company_id: UUID, window: Window, *, min_calls: int, limit: int
) -> list[Any]:
    """The company's active members ranked by their average overall score (ties share a
    rank), those with at least ``min_calls`` scored calls in the window."""
    params = _params(company_id, window, min_calls=min_calls, limit=limit)
    return list((await session.execute(text(_LEADERBOARD), params)).all())
