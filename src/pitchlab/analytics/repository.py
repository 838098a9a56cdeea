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
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.analysis.report import SKILLS

Figures = dict[str, dict[str, Any]]


def _trend(score: str) -> str:
    return f"round((regr_slope({score}, n) * 10)::numeric, 2)"


def _mean(value: str, places: int = 2) -> str:
    # float8 sums are several times cheaper than numeric ones over 20,000 calls; the
    # rounding to ``places`` hides the float noise
    return f"round(avg({value})::numeric, {places})"


@dataclass(frozen=True)
class Window:
    start: datetime
    stop: datetime


# The counted calls, one row each, with the figures the database generated from the metrics
# when the feedback was stored (0015's analytics columns: reading the JSON of thousands of
# reports per request is what made this slow). ``{scope}`` narrows to the rep(s) asked about;
# ``n`` is the call's ordinal for the trend.
_CALLS = """
calls AS MATERIALIZED (
    SELECT s.user_id, s.ended_at, s.minutes_billed, f.score::float8 AS score,
           (s.ended_at AT TIME ZONE 'UTC')::date AS day, f.call_type,
           f.talk_ratio, f.fillers_per_100_words AS fillers,
           f.questions_per_10_minutes AS questions, f.criterion_scores,
           """ + ", ".join(f"f.skill_{skill}" for skill in SKILLS) + """,
           row_number() OVER (PARTITION BY s.user_id ORDER BY s.ended_at, s.id) AS n
    FROM sessions s
    JOIN feedback f ON f.session_id = s.id AND f.company_id = s.company_id
    WHERE s.company_id = :company_id AND f.company_id = :company_id
      AND s.status = 'completed'
      AND s.ended_at >= :start AND s.ended_at < :stop
      AND {scope}
)"""

# Per ``{group}``: counts, the overall score, rates, and each standard skill (its column is
# null where the call did not score it, which avg and regr_slope skip).
_TOTALS = """
SELECT {group}, count(*) AS calls, coalesce(sum(minutes_billed), 0) AS minutes,
       """ + _mean("score") + """ AS score_average, """ + _trend("score") + """ AS score_trend,
       """ + _mean("talk_ratio", 3) + """ AS talk_ratio, """ + _mean("fillers") + """ AS fillers,
       """ + _mean("questions") + """ AS questions,
       """ + ", ".join(f"{_mean(f'skill_{s}')} AS {s}_average, {_trend(f'skill_{s}')} AS "
                       f"{s}_trend" for s in SKILLS) + """
FROM calls
GROUP BY {group}
"""

# Per (user, criterion id) scored at least once, as one JSON object per user
# ``{id: {name, average, trend}}``; the name as the latest call gives it.
_CRITERIA = """
criteria AS (
    SELECT c.user_id, k.id, (array_agg(k.name ORDER BY c.ended_at DESC))[1] AS name,
           """ + _mean("k.score") + """ AS average, """ + _trend("k.score") + """ AS trend
    FROM calls c
    CROSS JOIN LATERAL jsonb_to_recordset(c.criterion_scores)
        AS k(id text, name text, score float8)
    WHERE c.criterion_scores <> '[]'::jsonb
    GROUP BY c.user_id, k.id
),
criteria_by_user AS (
    SELECT user_id, jsonb_object_agg(id, jsonb_build_object(
               'name', name, 'average', average, 'trend', trend)) AS criteria
    FROM criteria GROUP BY user_id
)"""

# Per user: _TOTALS and the criteria object, in one statement over one scan of the calls.
_PER_USER = ("WITH " + _CALLS + ", totals AS (" + _TOTALS.format(group="user_id") + "), "
             + _CRITERIA + """
SELECT t.*, coalesce(c.criteria, '{{}}'::jsonb) AS criteria
FROM totals t LEFT JOIN criteria_by_user c USING (user_id)
""")


async def _tuned(session: AsyncSession) -> None:
    """Settings of this transaction for aggregating a company's calls. JIT off: the planner
    cannot tell how many criteria a JSON array unnests to (it guesses 100 per call), so on a big
    company it would compile these statements for about a second to save milliseconds. More
    work_mem: the per-rep sort of 20,000 calls spills to disk at the default 4 MB."""
    await session.execute(text("SELECT set_config('jit', 'off', true),"
                               " set_config('work_mem', '32MB', true)"))


def skills_of(row: Any) -> Figures:
    """The standard skills' figures of a _TOTALS row (None: no calls)."""
    return {skill: {"average": getattr(row, f"{skill}_average", None) if row else None,
                    "trend": getattr(row, f"{skill}_trend", None) if row else None}
            for skill in SKILLS}


def _params(company_id: UUID, window: Window, **more: Any) -> dict[str, Any]:
    return {"company_id": company_id, "start": window.start, "stop": window.stop, **more}


async def _per_user(session: AsyncSession, scope: str, params: dict[str, Any]) -> list[Any]:
    statement = text(_PER_USER.format(scope=scope)).columns(criteria=JSONB)
    return list((await session.execute(statement, params)).all())


# --- a rep's own progress -------------------------------------------------------------------

_ME_SCOPE = "s.user_id = :user_id AND (CAST(:call_type AS text) IS NULL " \
    "OR f.call_type = :call_type)"


@dataclass(frozen=True)
class Progress:
    totals: Any  # the _PER_USER row, or None without calls
    days: list[Any]  # _TOTALS rows grouped by day, oldest first
    call_types: list[Any]  # _TOTALS rows grouped by call type


async def progress(
    session: AsyncSession, company_id: UUID, user_id: UUID, window: Window,
    call_type: str | None,
) -> Progress:
    """One rep's figures over the window, overall, per day and per call type."""
    await _tuned(session)
    params = _params(company_id, window, user_id=user_id, call_type=call_type)
    head = "WITH " + _CALLS.format(scope=_ME_SCOPE) + " "

    async def grouped(group: str) -> list[Any]:
        body = head + _TOTALS.format(group=group) + f" ORDER BY {group}"
        return list((await session.execute(text(body), params)).all())

    totals = await _per_user(session, _ME_SCOPE, params)
    return Progress(totals=totals[0] if totals else None, days=await grouped("day"),
                    call_types=await grouped("call_type"))


# --- the team table -------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    user_id: UUID
    name: str | None
    created_at: datetime
    disabled: bool
    totals: Any  # the _PER_USER row, or None without calls


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
    await _tuned(session)
    after_at, after_id = after if after else (None, None)
    members = (await session.execute(text(_MEMBERS), {
        "company_id": company_id, "after_at": after_at, "after_id": after_id, "limit": limit,
    })).all()
    if not members:
        return []
    params = _params(company_id, window, user_ids=[m.id for m in members])
    totals = {row.user_id: row
              for row in await _per_user(session, "s.user_id = ANY(:user_ids)", params)}
    return [Member(user_id=m.id, name=m.name, created_at=m.created_at, disabled=m.disabled,
                   totals=totals.get(m.id))
            for m in members]


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
    await _tuned(session)
    params = _params(company_id, window, min_calls=min_calls, limit=limit)
    return list((await session.execute(text(_LEADERBOARD), params)).all())
