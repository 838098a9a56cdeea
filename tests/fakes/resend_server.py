"""A local stand-in for Resend's API: ``POST /emails`` as Resend documents it.

It checks what Resend checks (bearer key, JSON body with from/to/subject and a body) and answers
with Resend's shapes, including its error body. Tests queue failures to exercise retries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class FakeResend:
    api_key: str
    received: list[dict] = field(default_factory=list)
    idempotency_keys: list[str | None] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/emails", self._send, methods=["POST"])])

    async def _send(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "missing_api_key", "Missing API key in the authorization header.")
        if self.fail_next:
            status = self.fail_next.pop(0)
            return _error(status, "internal_server_error", "Something went wrong.")
        body = await request.json()
        missing = [k for k in ("from", "to", "subject") if not body.get(k)]
        if missing or not (body.get("text") or body.get("html")):
            return _error(422, "validation_error", f"Missing fields: {missing or ['text/html']}")
        self.received.append(body)
        self.idempotency_keys.append(request.headers.get("idempotency-key"))
        return JSONResponse({"id": str(uuid.uuid4())})


def _error(status: int, name: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"statusCode": status, "name": name, "message": message}, status_code=status
    )
