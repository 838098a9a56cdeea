"""A local stand-in for Calendly's API v2: ``POST /invitees`` (Create Event Invitee) and
``POST /scheduling_links``, as Calendly documents them.

It checks what Calendly checks (bearer token, the event type, a start time and the invitee's
name, email and time zone) and answers with Calendly's shapes: ``201 {"resource": {...}}``, and
its error body ``{"title", "message", "details": [...]}``. A start time in ``taken`` is refused
as ``already_filled``; while ``down`` is set every call is a 503.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

API = "https://api.calendly.com"


@dataclass
class FakeCalendly:
    api_token: str
    event_type: str = f"{API}/event_types/{uuid.uuid4().hex[:16].upper()}"
    taken: set[datetime] = field(default_factory=set)
    down: bool = False
    invitees: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/invitees", self._create_invitee, methods=["POST"]),
            Route("/scheduling_links", self._create_link, methods=["POST"]),
        ])

    def _refusal(self, request: Request) -> JSONResponse | None:
        if self.down:
            return _error(503, "Service Unavailable", "The server is temporarily unavailable.")
        if request.headers.get("authorization") != f"Bearer {self.api_token}":
            return _error(401, "Unauthenticated", "The access token is invalid")
        return None

    async def _create_invitee(self, request: Request) -> JSONResponse:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await request.json()
        invitee = body.get("invitee") or {}
        missing = [name for name in ("name", "email", "timezone") if not invitee.get(name)]
        if body.get("event_type") != self.event_type or not body.get("start_time") or missing:
            return _error(400, "Invalid Argument", "The supplied parameters are invalid.",
                          [{"parameter": p, "message": "is required"} for p in missing])
        start = datetime.fromisoformat(body["start_time"].replace("Z", "+00:00"))
        if start in self.taken:
            return _error(400, "Invalid Argument", "The supplied parameters are invalid.",
                          [{"parameter": "start_time", "code": "already_filled",
                            "message": "The selected time is no longer available."}])
        self.taken.add(start)
        event = f"{API}/scheduled_events/{uuid.uuid4().hex[:16].upper()}"
        resource = {
            "uri": f"{event}/invitees/{uuid.uuid4().hex[:16].upper()}",
            "event": event, "email": invitee["email"], "name": invitee["name"],
            "timezone": invitee["timezone"], "status": "active",
            "created_at": "2026-11-27T20:00:00.000000Z",
            "updated_at": "2026-11-27T20:00:00.000000Z",
        }
        self.invitees.append({"request": body, "resource": resource})
        return JSONResponse({"resource": resource}, status_code=201)

    async def _create_link(self, request: Request) -> JSONResponse:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await request.json()
        if (body.get("owner") != self.event_type or body.get("owner_type") != "EventType"
                or body.get("max_event_count") != 1):
            return _error(400, "Invalid Argument", "The supplied parameters are invalid.")
        resource = {"booking_url": f"https://calendly.com/d/{uuid.uuid4().hex[:8]}/demo",
                    "owner": body["owner"], "owner_type": "EventType"}
        self.links.append(resource)
        return JSONResponse({"resource": resource}, status_code=201)


def _error(status: int, title: str, message: str, details: list[dict] | None = None
           ) -> JSONResponse:
    body: dict = {"title": title, "message": message}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status)
