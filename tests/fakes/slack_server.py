"""A local stand-in for a Slack incoming webhook: ``POST`` JSON ``{"text": ...}``, answered
``ok`` as Slack does; anything else is 400 ``invalid_payload``."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

PATH = "/services/T000/B000/secret-webhook-token"


@dataclass
class FakeSlack:
    received: list[dict] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route(PATH, self._post, methods=["POST"])])

    async def _post(self, request: Request) -> PlainTextResponse:
        try:
            body = await request.json()
        except ValueError:
            return PlainTextResponse("invalid_payload", status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return PlainTextResponse("invalid_payload", status_code=400)
        self.received.append(body)
        return PlainTextResponse("ok")
