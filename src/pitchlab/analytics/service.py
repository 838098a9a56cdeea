"""Analytics rules: who sees which figures, the date window, and the shapes they come in.

The figures themselves are aggregated in SQL (``repository``); this module only names them.
Assignment completion is the assignments domain's (``completion_by_rep``), never redefined."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.analysis.report import SKILLS
from pitchlab.analytics import repository
from pitchlab.analytics.errors import (
    AnalyticsMembersOnly,
    InvalidWindow,
    LeaderboardDisabled,
    TeamAdminsOnly,
)
from pitchlab.analytics.schemas import (
    CallTypeFigures,
    CriterionFigure,
    Figure,
    Leaderboard,
    LeaderboardRow,
    MyProgress,
    SeriesPoint,
    TeamPage,
    TeamRow,
)
from pitchlab.assignments import service as assignments
from pitchlab.auth.dependencies import Principal
from pitchlab.companies import service as companies
from pitchlab.kit import cursors

DEFAULT_DAYS = 90
MAX_DAYS = 366
# A rep enters the leaderboard with this many scored calls in the window.
LEADERBOARD_MIN_CALLS = 1
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def window(start: date | None, end: date | None, today: date | None = None) -> repository.Window:
    """``start``..``end`` inclusive, UTC days; by default the last 90 days up to today."""
    end = end or today or datetime.now(UTC).date()
    try:
        start = start or end - timedelta(days=DEFAULT_DAYS - 1)
        stop = end + timedelta(days=1)
    except OverflowError:  # a day at the calendar's very edge (0001-01-01, 9999-12-31)
        raise InvalidWindow(details={"to": end.isoformat()}) from None
    if start > end or (end - start).days + 1 > MAX_DAYS:
        raise InvalidWindow(details={"from": start.isoformat(), "to": end.isoformat()})
    return repository.Window(start=datetime.combine(start, time(), UTC),
                             stop=datetime.combine(stop, time(), UTC))


def _company_of(principal: Principal) -> UUID:
    return principal.company_id_or(AnalyticsMembersOnly)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _figure(average: Any, trend: Any) -> Figure:
    return Figure(average=_number(average), trend=_number(trend))


def _skills(row: Any) -> dict[str, Figure]:
    """The five standard skills of a totals row, always all named (null without a score)."""
    return {name: _figure(f["average"], f["trend"])
            for name, f in repository.skills_of(row).items()}


def _criteria(row: Any) -> dict[str, CriterionFigure]:
    found = row.criteria if row else {}
    return {cid: CriterionFigure(name=f["name"], average=_number(f["average"]),
                                 trend=_number(f["trend"]))
            for cid, f in sorted(found.items())}


def _day_skills(row: Any) -> dict[str, float]:
    return {name: float(f["average"]) for name, f in repository.skills_of(row).items()
            if f["average"] is not None}


def _rates(row: Any) -> dict[str, float | None]:
    return {"talk_ratio": _number(row.talk_ratio) if row else None,
            "fillers_per_100_words": _number(row.fillers) if row else None,
            "questions_per_10_minutes": _number(row.questions) if row else None}


def _score(row: Any) -> Figure:
    return _figure(row.score_average, row.score_trend) if row else Figure(average=None,
                                                                           trend=None)


async def my_progress(
    session: AsyncSession, principal: Principal, span: repository.Window, call_type: str | None
) -> MyProgress:
    found = await repository.progress(session, _company_of(principal), principal.user.id,
                                      span, call_type)
    totals = found.totals
    return MyProgress(
        calls=totals.calls if totals else 0, minutes=totals.minutes if totals else 0,
        score=_score(totals), skills=_skills(totals), criteria=_criteria(totals),
        **_rates(totals),
        series=[SeriesPoint(date=day.day, calls=day.calls, score=_number(day.score_average),
                            skills=_day_skills(day), **_rates(day))
                for day in found.days],
        by_call_type=[CallTypeFigures(call_type=row.call_type, calls=row.calls,
                                      minutes=row.minutes, score=_score(row), **_rates(row))
                      for row in found.call_types],
    )


def _admins_company(principal: Principal) -> UUID:
    return principal.admins_company_id_or(AnalyticsMembersOnly, TeamAdminsOnly)


async def _team_rows(
    session: AsyncSession, company_id: UUID, span: repository.Window, *,
    after: tuple[datetime, UUID] | None, limit: int | None,
) -> list[tuple[repository.Member, TeamRow]]:
    members = await repository.team(session, company_id, span, after=after, limit=limit)
    completion = await assignments.completion_by_rep(session, company_id)
    rows = []
    for member in members:
        done = completion.get(member.user_id)
        totals = member.totals
        rows.append((member, TeamRow(
            user_id=member.user_id, name=member.name, disabled=member.disabled,
            calls=totals.calls if totals else 0, minutes=totals.minutes if totals else 0,
            score=_score(totals), skills=_skills(totals), criteria=_criteria(totals),
            assignments_completed=done.completed if done else 0,
            assignments_total=done.total if done else 0,
        )))
    return rows


async def team_page(
    session: AsyncSession, principal: Principal, span: repository.Window, *,
    cursor: str | None, limit: int,
) -> TeamPage:
    company_id = _admins_company(principal)
    rows = await _team_rows(session, company_id, span, after=cursors.decode_cursor(cursor),
                            limit=limit + 1)
    kept, next_cursor = cursors.page(rows, limit, lambda r: (r[0].created_at, r[0].user_id))
    return TeamPage(items=[row for _, row in kept], next_cursor=next_cursor)


def _cell(value: Any) -> Any:
    """A spreadsheet must not run a name as a formula: text starting like one gets a quote.
    Numbers are ours and written as numbers (a negative trend stays a number)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(cells: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(["" if c is None else _cell(c) for c in cells])
    return out.getvalue()


async def team_csv(
    session: AsyncSession, principal: Principal, span: repository.Window
) -> Iterator[str]:
    """Every member's row as CSV lines (header first): one column per skill's and per
    criterion's average and trend."""
    company_id = _admins_company(principal)
    rows = [row for _, row in await _team_rows(session, company_id, span, after=None,
                                               limit=None)]
    criteria = sorted({cid for row in rows for cid in row.criteria})
    header = ["user_id", "name", "disabled", "calls", "minutes", "score_average", "score_trend"]
    header += [f"{skill}_{part}" for skill in SKILLS for part in ("average", "trend")]
    header += [f"criterion:{cid}_{part}" for cid in criteria for part in ("average", "trend")]
    header += ["assignments_completed", "assignments_total"]

    def lines() -> Iterator[str]:
        yield _csv_line(header)
        for row in rows:
            cells: list[Any] = [str(row.user_id), row.name, row.disabled, row.calls,
                                row.minutes, row.score.average, row.score.trend]
            for skill in SKILLS:
                cells += [row.skills[skill].average, row.skills[skill].trend]
            for cid in criteria:
                found = row.criteria.get(cid)
                cells += [found.average, found.trend] if found else [None, None]
            cells += [row.assignments_completed, row.assignments_total]
            yield _csv_line(cells)

    return lines()


async def leaderboard(
    session: AsyncSession, principal: Principal, span: repository.Window, limit: int
) -> Leaderboard:
    company_id = _company_of(principal)
    company = await companies.get(session, company_id)
    if company is None or not company.leaderboard_enabled:
        raise LeaderboardDisabled
    rows = await repository.leaderboard(session, company_id, span,
                                        min_calls=LEADERBOARD_MIN_CALLS, limit=limit)
    return Leaderboard(items=[
        LeaderboardRow(user_id=r.user_id, name=r.name, rank=r.rank, score=float(r.score),
                       calls=r.calls)
        for r in rows
    ])
