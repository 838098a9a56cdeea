"""CSRF protection for every form and htmx request: a signed double-submit token.

The browser holds a random secret in an HttpOnly cookie (``cookies.CSRF``); each page embeds
``HMAC(key, secret)`` in its forms (``csrf_token`` field) and in the ``X-CSRF-Token`` header htmx
sends. A cross-site page can neither read the cookie nor compute the token, and SameSite=Lax
keeps the cookie off its POSTs anyway. An ``Origin`` header naming another site is refused too.
The secret is renewed at sign-in and sign-out, so a token seen before cannot be carried across.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

from pitchlab.config import ResolvedSettings
from pitchlab.web import cookies

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(Exception):
    """An unsafe request without the page's token (or from another site's page)."""


def _key(settings: ResolvedSettings) -> bytes:
    # Derived from the JWT secret (no setting more to manage); another purpose, another key.
    return hmac.new(settings.jwt_secret.get_secret_value().encode(), b"pitchlab web csrf",
                    hashlib.sha256).digest()


def _sign(settings: ResolvedSettings, secret: str) -> str:
    return hmac.new(_key(settings), secret.encode(), hashlib.sha256).hexdigest()


def renew(request: Request) -> None:
    """A new secret (at sign-in and sign-out): tokens of earlier pages stop working."""
    cookies.set_later(request, cookies.CSRF, secrets.token_urlsafe(32), None)


def token_for(request: Request, settings: ResolvedSettings) -> str:
    """The token this page's forms carry (the cookie is created with the first page)."""
    secret = cookies.current(request, cookies.CSRF)
    if secret is None:
        renew(request)
        secret = cookies.current(request, cookies.CSRF)
    assert secret is not None
    return _sign(settings, secret)


async def check(request: Request, settings: ResolvedSettings) -> None:
    """Raise ``CsrfRejected`` unless an unsafe request carries this browser's token."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and origin != _own_origin(request):
        raise CsrfRejected()
    secret = request.cookies.get(cookies.CSRF)
    submitted = request.headers.get(HEADER)
    if submitted is None and _is_form(request):
        value = (await request.form()).get(FIELD)
        submitted = value if isinstance(value, str) else None
    # compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so
    # a 500), and a forged token may hold any
    if not secret or not submitted or not hmac.compare_digest(
            submitted.encode("utf-8", "surrogateescape"),
            _sign(settings, secret).encode("utf-8", "surrogateescape")):
        raise CsrfRejected()


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))
