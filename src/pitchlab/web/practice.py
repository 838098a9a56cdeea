"""Practice pages: choose a scenario and start a call."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from pitchlab.practice.scenarios import SCENARIOS
from pitchlab.web.pages import render
from pitchlab.web.routing import WebRoute
from pitchlab.web.session import BrowserUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/practice")
async def choose_scenario(request: Request, principal: BrowserUser) -> Response:
    return render(request, "practice/choose.html", {"nav": "practice", "scenarios": SCENARIOS},
                  principal=principal)
