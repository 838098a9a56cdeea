"""The access line: one per HTTP request, after it is answered."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from pitchlab.http.status import ResponseStatus
from pitchlab.observability import context
from pitchlab.observability.logs import get_logger

log = get_logger("pitchlab.access")


class AccessLogMiddleware:
    """Opens the request's log context (route, caller) and writes its access line. WebSocket
    streams get the context but no access line: they log their own start and end."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = context.begin(scope)
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                context.end(token)
            return
        started = time.perf_counter()
        status = ResponseStatus(send)
        try:
            await self.app(scope, receive, status)
        finally:
            request = context.current()
            log.info(
                "http.request",
                method=scope["method"],
                route=(request.route if request else None) or "unmatched",
                status=status.code,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            context.end(token)
