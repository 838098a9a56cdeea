"""The browser's cookies, and the ones a page sets or clears on its way out.

Every cookie is ``__Host-``: Secure, path ``/``, no Domain, so a sibling subdomain can neither read
nor plant it. Browsers accept Secure cookies from http://localhost and http://127.0.0.1 (both
count as secure contexts), so development needs no certificate; anywhere else the app must be
served over HTTPS (as production is). SameSite=Lax keeps the session off cross-site POSTs while a
link from an email still arrives signed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.responses import Response

ACCESS = "__Host-pitchlab_access"
REFRESH = "__Host-pitchlab_refresh"
CSRF = "__Host-pitchlab_csrf"


@dataclass
class PendingCookies:
    """What this request's response must set (name -> value, max age) or clear."""

    to_set: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    to_clear: set[str] = field(default_factory=set)


def pending(connection: HTTPConnection) -> PendingCookies:
    # Kept in the request's ASGI scope (an extension key), beside nothing the app state holds.
    cookies: PendingCookies = connection.scope.setdefault("pitchlab.web_cookies",
                                                          PendingCookies())
    return cookies


def set_later(connection: HTTPConnection, name: str, value: str, max_age: int | None) -> None:
    cookies = pending(connection)
    cookies.to_clear.discard(name)
    cookies.to_set[name] = (value, max_age)


def clear_later(connection: HTTPConnection, name: str) -> None:
    cookies = pending(connection)
    cookies.to_set.pop(name, None)
    cookies.to_clear.add(name)


def current(connection: HTTPConnection, name: str) -> str | None:
    """The cookie as the rest of this request should see it (set or cleared by it, or sent)."""
    cookies = pending(connection)
    if name in cookies.to_clear:
        return None
    if name in cookies.to_set:
        return cookies.to_set[name][0]
    return connection.cookies.get(name)


def apply(connection: HTTPConnection, response: Response) -> Response:
    cookies = pending(connection)
    for name, (value, max_age) in cookies.to_set.items():
        response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                            samesite="lax")
    for name in cookies.to_clear:
        response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")
    return response
