"""Security headers on every response. The API serves JSON, so the policy can be strict;
the interactive docs load their own scripts and get a looser one; the web app's pages load only
their own scripts and styles, and may use the microphone.

HSTS goes out in production on requests that came over HTTPS (the scheme after
``PITCHLAB_TRUSTED_PROXIES`` handling): browsers ignore it over plain HTTP anyway, and a
development server on http://localhost must never pin a browser to HTTPS for two years."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_NO_DEVICES = (b"permissions-policy", b"camera=(), geolocation=(), microphone=()")
_NO_REFERRER = (b"referrer-policy", b"no-referrer")
# The web app's pages: its own scripts, styles and inline SVG only; the practice page needs the
# microphone (its own origin only) and a WebSocket to this origin ('self' covers ws/wss).
_WEB_DEVICES = (b"permissions-policy", b"camera=(), geolocation=(), microphone=(self)")
# Same-origin only: with no-referrer, Chromium sends "Origin: null" on the pages' own form posts,
# and the CSRF check (pitchlab.web.csrf) compares the origin; other sites still learn nothing.
_SAME_ORIGIN_REFERRER = (b"referrer-policy", b"same-origin")
_WEB_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"media-src 'self' blob:; connect-src 'self'; worker-src 'self'; object-src 'none'; "
    b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'",
)
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
_DOCS_PATHS = ("/docs", "/redoc")
# Everything else is the web app (pitchlab.web).
API_PATHS = ("/api/", "/healthz", "/readyz", "/metrics", "/openapi.json")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(_DOCS_PATHS):
            policy = [_DOCS_CSP, _NO_DEVICES, _NO_REFERRER]
        elif path.startswith(API_PATHS):
            policy = [_API_CSP, _NO_DEVICES, _NO_REFERRER]
        else:
            policy = [_WEB_CSP, _WEB_DEVICES, _SAME_ORIGIN_REFERRER]
        https = self.hsts and scope.get("scheme") == "https"
        extra = [*_COMMON, *policy, *([_HSTS] if https else [])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
