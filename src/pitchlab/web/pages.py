"""Rendering pages and redirects: the one place a web response is made, so that every page gets
the CSRF token, the signed-in user, the cookies its request set, and ``Cache-Control: no-store``
(pages carry personal data; the back button after sign-out must not show them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pitchlab.auth.dependencies import Principal
from pitchlab.deps import context_of
from pitchlab.security.passwords import MIN_LENGTH
from pitchlab.web import cookies, csrf

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,  # every template, .svg included: user text never becomes markup
    undefined=jinja2.StrictUndefined,  # a misspelt variable is an error in the tests, not a blank
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.globals["password_min_length"] = MIN_LENGTH  # the API's rule, shown as a hint
templates = Jinja2Templates(env=_environment)


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           principal: Principal | None = None, status: int = 200) -> Response:
    settings = context_of(request).settings
    values = {
        "principal": principal,
        "user": principal.user if principal else None,
        "csrf_token": csrf.token_for(request, settings),
        "csrf_field": csrf.FIELD,
        "errors": {},
        "message": None,
        "nav": None,  # the menu entry to mark as the current page
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, values, status_code=status)
    return _finished(request, response)


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"status": status, "problem": message}, status=status)


def redirect(request: Request, url: str) -> Response:
    """303 See Other: after a form post, the browser GETs the next page."""
    return _finished(request, RedirectResponse(url, status_code=303))


def _finished(request: Request, response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return cookies.apply(request, response)


def safe_next(target: str | None, default: str = "/practice") -> str:
    """Where to go after signing in: only a path on this site (never ``//evil.example``)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target
