"""Error reporting to Sentry, on when ``PITCHLAB_SENTRY_DSN`` is set.

Every event passes ``scrub_event`` before it leaves the process: Sentry is a third party, and
an event carries whatever the failing request or frame held. Rather than list what may go, the
scrubber removes by key (passwords, tokens, signatures, transcript text, cookies, bodies) and by
shape (email addresses, bearer tokens, provider keys) anywhere in the event, frames' local
variables and breadcrumbs included. The user keeps only their id.

Unhandled exceptions never reach Sentry's own ASGI middleware: ``RequestIdMiddleware`` turns
them into the 500 envelope. ``ErrorReportingMiddleware`` sits just inside it, where the request
id is known, and reports the exception before passing it on.
"""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from fastapi import FastAPI
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.types import Event, Hint
from starlette.types import ASGIApp, Receive, Scope, Send

from pitchlab import __version__
from pitchlab.config import Settings
from pitchlab.http.request_id import current_request_id

FILTERED = "[Filtered]"

# Keys whose values never leave: compared lower-cased, with "-" read as "_".
_SECRET_KEY_PARTS = (
    "password", "passwd", "secret", "token", "api_key", "apikey", "authorization", "cookie",
    "signature", "session", "csrf", "dsn", "credential", "private_key", "encryption_key",
)
# Personal data and call content: the whole value goes, whatever its shape.
_PERSONAL_KEYS = frozenset({
    "email", "email_address", "to_address", "ip_address", "text", "transcript", "turns",
    "user_message", "agent_response", "content", "phone", "notes", "invitee", "body",
    "cookies", "headers", "query_string",
})
# Keys Sentry's own structure needs, kept even though they look like the above.
_STRUCTURAL_KEYS = frozenset({"exception", "values", "type", "module", "stacktrace", "frames"})

_VALUE_PATTERNS = (
    # key=value and "key": "value" inside text (a logged dict, a query string, a JSON body)
    re.compile(
        r"""(?ix)(["']?[\w-]*(?:password|passwd|secret|token|api[_-]?key|authorization|cookie
        |signature|transcript|text|turns)[\w-]*["']?\s*[:=]\s*)
        (?:"[^"]*"|'[^']*'|\[[^\]]*\]|[^\s,&;}]+)"""
    ),
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # email addresses
    re.compile(r"(?i)bearer\s+[\w.~+/=-]+"),
    re.compile(r"\b(sk|pk|rk|whsec|xi|sk-proj)[-_][\w-]{8,}"),  # provider keys
    re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"),  # JWTs
)


def install_error_reporting(app: FastAPI, settings: Settings) -> bool:
    """Start Sentry for this process when a DSN is set, and report the app's unhandled errors.
    Returns whether reporting is on."""
    if settings.sentry_dsn is None:
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.sentry_environment,
        release=settings.sentry_release or f"pitchlab@{__version__}",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        send_default_pii=False,
        max_request_body_size="never",  # bodies hold passwords and transcripts
        # A frame's locals hold request bodies, decoded tokens and transcripts in every shape
        # (bytes, reprs); no scrubber can be trusted with them all.
        include_local_variables=False,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=_scrub_breadcrumb,
        integrations=[StarletteIntegration(), FastApiIntegration()],
    )
    app.add_middleware(ErrorReportingMiddleware)
    return True


class ErrorReportingMiddleware:
    """Reports an exception that escaped the app, tagged with the request id, and re-raises it
    (the request-id middleware outside answers the 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = current_request_id()
        if request_id is not None:
            sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            sentry_sdk.capture_exception(error)
            raise


def scrub_event(event: Event, _hint: Hint) -> Event:
    """``before_send``: the event with secrets and personal data removed, and the request id."""
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("tags", {})
        tags = event["tags"]
        if isinstance(tags, dict):
            tags.setdefault("request_id", request_id)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    request = event.get("request")
    if isinstance(request, dict):
        # Keep where the request went, nothing it carried.
        event["request"] = {
            key: request[key] for key in ("url", "method") if key in request
        }
    scrubbed: Event = _scrub(event)
    return scrubbed


def _scrub_breadcrumb(crumb: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    scrubbed: dict[str, Any] = _scrub(crumb)
    return scrubbed


def _scrub(value: Any, key: str = "") -> Any:
    if _is_secret_key(key):
        return FILTERED
    if isinstance(value, dict):
        return {k: _scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def _is_secret_key(key: str) -> bool:
    normalized = key.lower().replace("-", "_")
    if not normalized or normalized in _STRUCTURAL_KEYS:
        return False
    return normalized in _PERSONAL_KEYS or any(
        part in normalized for part in _SECRET_KEY_PARTS
    )


def _scrub_text(text: str) -> str:
    for pattern in _VALUE_PATTERNS[1:]:
        text = pattern.sub(FILTERED, text)
    # last: "Authorization: Bearer x" is already "Authorization: [Filtered]"
    return _VALUE_PATTERNS[0].sub(lambda match: match.group(1) + FILTERED, text)
