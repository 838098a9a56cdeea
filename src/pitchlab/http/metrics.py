"""Prometheus request metrics, on the app's own ``Metrics`` (``pitchlab.metrics``), so that two
apps never share counters. The middleware also makes the app's ``Metrics`` the current one for
each request and WebSocket, so that the code they run counts into it."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from pitchlab import metrics as app_metrics
from pitchlab.http.status import ResponseStatus
from pitchlab.metrics import Metrics

# The name the app context has always used; the same object since it counts more than HTTP.
HttpMetrics = Metrics

_KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = app_metrics.use(self.metrics)
        try:
            if scope["type"] == "http":
                await self._timed(scope, receive, send)
            else:  # a stream: what it charges counts, its duration is no request latency
                await self.app(scope, receive, send)
        finally:
            app_metrics.reset(token)

    async def _timed(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = ResponseStatus(send)
        try:
            await self.app(scope, receive, status)
        finally:
            # The template, not the raw path: ids in paths would explode the label set.
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "OTHER"
            self.metrics.requests.labels(method, route, str(status.code)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
