"""Analytics pages: a member's progress, the leaderboard, and the team table for admins (with
its CSV download). Each reads the same service as GET /api/analytics/*."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from pitchlab.analytics import service
from pitchlab.analytics.errors import LeaderboardDisabled
from pitchlab.analytics.schemas import IsoDay
from pitchlab.web.pages import render
from pitchlab.web.routing import WebRoute
from pitchlab.web.session import BrowserAdmin, BrowserUser
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)

From = Annotated[IsoDay | None, Query(alias="from")]
To = Annotated[IsoDay | None, Query(alias="to")]
Cursor = Annotated[str | None, Query(max_length=200)]


def _window_form(start: date | None, end: date | None) -> dict[str, Any]:
    """The window as the page's filter form shows it (the days actually used)."""
    span = service.window(start, end)
    return {"span": span, "from": span.start.date().isoformat(),
            "to": (span.stop - timedelta(days=1)).date().isoformat()}


@router.get("/progress")
async def progress_page(request: Request, principal: BrowserUser, session: DbSession,
                        start: From = None, end: To = None) -> Response:
    window = _window_form(start, end)
    progress = await service.my_progress(session, principal, window["span"], None)
    best = max((p.score or 0 for p in progress.series), default=0)
    return render(request, "analytics/progress.html",
                  {"nav": "progress", "window": window, "progress": progress, "best": best},
                  principal=principal)


@router.get("/leaderboard")
async def leaderboard_page(request: Request, principal: BrowserUser, session: DbSession,
                           start: From = None, end: To = None) -> Response:
    window = _window_form(start, end)
    try:
        board = await service.leaderboard(session, principal, window["span"], 100)
    except LeaderboardDisabled:
        board = None  # the page says it is off, and who can turn it on
    return render(request, "analytics/leaderboard.html",
                  {"nav": "progress", "window": window, "board": board},
                  principal=principal)


@router.get("/admin/analytics")
async def team_page(request: Request, principal: BrowserAdmin, session: DbSession,
                    start: From = None, end: To = None, cursor: Cursor = None) -> Response:
    window = _window_form(start, end)
    page = await service.team_page(session, principal, window["span"], cursor=cursor,
                                   limit=20)
    return render(request, "analytics/team.html",
                  {"nav": "admin", "tab": "analytics", "window": window, "page": page},
                  principal=principal)


@router.get("/admin/analytics.csv")
async def team_csv(principal: BrowserAdmin, session: DbSession, start: From = None,
                   end: To = None) -> Response:
    span = service.window(start, end)
    lines = await service.team_csv(session, principal, span)
    name = f"team-{span.start.date()}-{span.stop.date()}.csv"
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
