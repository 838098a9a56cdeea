"""The analytics endpoints: a rep's progress, the team table (and its CSV), the leaderboard."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from pitchlab.analytics import service
from pitchlab.analytics.errors import (
    AnalyticsMembersOnly,
    InvalidWindow,
    LeaderboardDisabled,
    TeamAdminsOnly,
)
from pitchlab.analytics.schemas import (
    AVERAGES,
    TREND,
    IsoDay,
    Leaderboard,
    MyProgress,
    TeamPage,
)
from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import DbSession
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import InvalidCursor, Unauthorized

router = APIRouter(prefix="/api/analytics", tags=["analytics"])

CallType = Literal["cold_call", "discovery", "demo", "objection_handling", "closing"]
_OPERATORS = "A platform operator (super_admin) belongs to no company: 403. "



@router.get(
    "/me",
    response_model=MyProgress,
    summary="My progress over time",
    description="The caller's own calls in the window: counts, overall score, each skill and "
    "scorecard criterion (average and trend), talk ratio, fillers per 100 words, questions per "
    "10 minutes; a series with one point per day with calls, and the same figures per call "
    "type. `call_type` keeps only calls of that type. " + AVERAGES + TREND + _OPERATORS,
    responses=error_responses(Unauthorized, AnalyticsMembersOnly, InvalidWindow, 422),
)
async def my_progress(
    principal: CurrentPrincipal, session: DbSession,
    start: Annotated[IsoDay | None, Query(alias="from")] = None,
    end: Annotated[IsoDay | None, Query(alias="to")] = None,
    call_type: CallType | None = None,
) -> MyProgress:
    return await service.my_progress(session, principal, service.window(start, end), call_type)


@router.get(
    "/team",
    response_model=TeamPage,
    summary="The team table (company admins)",
    description="One row per member of the company (reps, and admins, who practise too; "
    "members without a call in the window included, disabled ones flagged), oldest account "
    "first: calls, minutes, overall score, each skill and criterion (average and trend), and "
    "assignment completion (assignments completed of assigned, whatever the window). "
    "Paginated: `limit` 1..100 (default 20), `cursor` a page's `next_cursor`. "
    "`format=csv` streams every member as a CSV download instead (no pagination): one column "
    "per skill's and criterion's average and trend; text cells starting with = + - @ get a "
    "leading ' so that a spreadsheet never runs them. " + AVERAGES + TREND
    + "Reps: 403. " + _OPERATORS,
    responses={**error_responses(Unauthorized, TeamAdminsOnly, InvalidWindow, InvalidCursor,
                                 422),
               200: {"content": {"application/json": {}, "text/csv": {}}}},
    openapi_extra={"x-roles": ["admin"]},
)
async def team(
    principal: CurrentPrincipal, session: DbSession,
    start: Annotated[IsoDay | None, Query(alias="from")] = None,
    end: Annotated[IsoDay | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: Literal["json", "csv"] = "json",
) -> TeamPage | StreamingResponse:
    span = service.window(start, end)
    if format == "csv":
        lines = await service.team_csv(session, principal, span)
        name = f"team-{span.start.date()}-{(span.stop.date())}.csv"
        return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition":
                                          f'attachment; filename="{name}"'})
    return await service.team_page(session, principal, span, cursor=cursor, limit=limit)


@router.get(
    "/leaderboard",
    response_model=Leaderboard,
    summary="The company's leaderboard",
    description="The company's active members (disabled ones left out) ranked by their mean "
    "overall score over the window's scored calls, best first; ties share a rank (1, 1, 3); "
    f"at least {service.LEADERBOARD_MIN_CALLS} scored call in the window to be ranked. The "
    "top `limit` (1..100, default 20). Any member may read it while the company has it on; "
    "while it is off (the default, until an admin turns it on with PATCH "
    "/api/admin/company `leaderboard_enabled`), 403 `leaderboard_disabled`. " + _OPERATORS,
    responses=error_responses(Unauthorized, AnalyticsMembersOnly, LeaderboardDisabled,
                              InvalidWindow, 422),
)
async def leaderboard(
    principal: CurrentPrincipal, session: DbSession,
    start: Annotated[IsoDay | None, Query(alias="from")] = None,
    end: Annotated[IsoDay | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Leaderboard:
    return await service.leaderboard(session, principal, service.window(start, end), limit)
