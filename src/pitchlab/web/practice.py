"""Practice pages: choose a scenario, start a voice or text call, hold it, end it.

Every step calls the practice API's own services (``practice.service``): starting is
``start_session`` (its refusals shown on the page), a typed turn is ``text_turn``, ending is
``end_session``; the minutes left are billing's ``minutes_remaining``. A voice call's page gets a
fresh single-use stream ticket (``issue_ticket``) each time it loads; ``static/call.js`` opens the
stream with it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from pitchlab.auth.dependencies import Principal
from pitchlab.billing import service as billing
from pitchlab.deps import AppSettings, context_of
from pitchlab.models.values import SessionMode, SessionStatus
from pitchlab.practice import service
from pitchlab.practice.errors import ServerShuttingDown, SessionNotFound
from pitchlab.practice.router import stream_url
from pitchlab.practice.schemas import MAX_TURN_CHARS, SessionEnd, SessionStart, TextTurn
from pitchlab.providers import elevenlabs_protocol as protocol
from pitchlab.scenarios import service as scenarios
from pitchlab.web.pages import redirect, render
from pitchlab.web.routing import WebRoute, form_errors
from pitchlab.web.session import BrowserUser, CsrfChecked
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _minutes_left(session: AsyncSession, principal: Principal) -> int | None:
    """The minutes the user may still practise (None for an operator, who holds no calls)."""
    user = principal.user
    if user.company_id is None:
        return None
    return await billing.minutes_remaining(session, user.company_id, user.id)


async def _choose_context(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    rows, _ = await service.list_sessions(session, principal, user_id=None, cursor=None, limit=1)
    live = rows[0] if rows and rows[0].status == SessionStatus.IN_PROGRESS else None
    # the built-ins, then the company's own (not archived)
    library = await scenarios.library(session, principal.user.company_id)
    return {"nav": "practice", "scenarios": library,
            "minutes_left": await _minutes_left(session, principal), "live_call": live,
            "form": {}}


@router.get("/practice")
async def choose_scenario(request: Request, principal: BrowserUser,
                          session: DbSession) -> Response:
    return render(request, "practice/choose.html", await _choose_context(session, principal),
                  principal=principal)


@router.post("/practice/start", dependencies=[CsrfChecked])
async def start_call(request: Request, principal: BrowserUser, session: DbSession,
                     settings: AppSettings) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("scenario_id", "mode")}
    context = {**await _choose_context(session, principal), "form": values}
    with form_errors("practice/choose.html", context, principal=principal):
        body = SessionStart.model_validate(
            {"scenario_id": values["scenario_id"] or None, "mode": values["mode"] or "voice"})
        if context_of(request).live_streams.draining:  # as the API: this process is stopping
            raise ServerShuttingDown
        started = await service.start_session(session, settings, principal, body.scenario_id,
                                              body.mode)
    return redirect(request, f"/practice/calls/{started.row.id}")


# ------------------------------------------------------------------------------ the call


@router.get("/practice/calls/{session_id}")
async def call_page(request: Request, session_id: UUID, principal: BrowserUser,
                    session: DbSession, settings: AppSettings) -> Response:
    """The signed-in user's own call while it is live; an ended one is in the history."""
    row, stored = await service.visible_transcript(session, principal, session_id)
    if row.user_id != principal.user.id:  # an admin sees the company's calls, holds only theirs
        raise SessionNotFound
    if row.status != SessionStatus.IN_PROGRESS:
        return redirect(request, f"/history/{row.id}")
    scenario = await scenarios.playable(session, row.company_id, row.scenario_id, live=True)
    stream = None
    if row.mode == SessionMode.VOICE:
        stream = stream_url(settings, row.id, await service.issue_ticket(session, settings, row))
    return render(request, "practice/call.html", {
        "nav": "practice", "call": row, "scenario": scenario,
        "prospect_name": scenario.persona.name if scenario else "Prospect",
        "turns": stored.turns, "minutes_left": await _minutes_left(session, principal),
        "seconds_elapsed": max(0, service.elapsed_ms(row) // 1000), "stream_url": stream,
        "max_turn_chars": MAX_TURN_CHARS, "form": {},
    }, principal=principal)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.post("/practice/calls/{session_id}/say", dependencies=[CsrfChecked])
async def say(request: Request, session_id: UUID, principal: BrowserUser, session: DbSession,
              settings: AppSettings) -> Response:
    """One typed rep turn (text mode): the API's text turn; htmx gets the new turns to append,
    a browser without scripts the call page again."""
    text = str((await request.form()).get("text") or "")
    template = "practice/turn_refused_fragment.html" if _is_htmx(request) \
        else "practice/turn_refused.html"
    with form_errors(template, {"nav": "practice", "call_id": session_id}, principal=principal):
        body = TextTurn.model_validate({"text": text})
        messages = await service.text_turn(session, settings, principal, session_id, body.text)
    if not _is_htmx(request):
        return redirect(request, f"/practice/calls/{session_id}")
    row = await service.visible_session(session, principal, session_id)
    scenario = await scenarios.playable(session, row.company_id, row.scenario_id, live=True)
    turns: list[dict[str, str]] = []
    minutes_left = None
    for message in messages:
        if (said := protocol.agent_response_in(message)) is not None:
            turns.append({"speaker": "prospect", "text": said})
        elif (heard := protocol.user_transcript_in(message)) is not None:
            turns.append({"speaker": "rep", "text": heard})
        elif message.get("type") == "session_status":
            minutes_left = message.get("minutes_remaining")
    return render(request, "practice/turns_fragment.html", {
        "turns": turns, "minutes_left": minutes_left,
        "prospect_name": scenario.persona.name if scenario else "Prospect",
    }, principal=principal)


@router.post("/practice/calls/{session_id}/end", dependencies=[CsrfChecked])
async def end_call(request: Request, session_id: UUID, principal: BrowserUser,
                   session: DbSession, settings: AppSettings) -> Response:
    """As POST /api/sessions/{id}/end: billed, its stream closed; then its report."""
    form = await request.form()
    reason = str(form.get("reason") or "").strip()
    with form_errors("practice/turn_refused.html", {"nav": "practice", "call_id": session_id},
                     principal=principal):
        body = SessionEnd.model_validate({"reason": reason} if reason else {})
    row = await service.visible_session(session, principal, session_id, for_update=True)
    row = await service.end_session(session, settings, row, status=body.reason,
                                    reason=service.end_reason(principal, row))
    context_of(request).live_streams.close(row.id)
    return redirect(request, f"/history/{row.id}")
