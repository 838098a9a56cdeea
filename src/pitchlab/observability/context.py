"""What the log lines of one request share: its route template and who is calling.

One mutable holder per request, set by the access-log middleware. A holder rather than plain
context variables because the principal is resolved deep inside (a FastAPI dependency, which
may run in a copied context): a variable set there would not be seen by the middleware's access
line, while a change to the shared holder is.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass
class RequestContext:
    scope: MutableMapping[str, Any]
    user_id: str | None = None
    company_id: str | None = None

    @property
    def route(self) -> str | None:
        """The matched route's template (``/api/sessions/{session_id}``), never the raw path:
        ids and query strings (tokens) stay out of the logs."""
        return getattr(self.scope.get("route"), "path", None)


_current: ContextVar[RequestContext | None] = ContextVar("pitchlab_request_context", default=None)


def begin(scope: MutableMapping[str, Any]) -> Token[RequestContext | None]:
    return _current.set(RequestContext(scope))


def end(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def current() -> RequestContext | None:
    return _current.get()


def bind_principal(user_id: UUID, company_id: UUID | None) -> None:
    """Called where a request's caller is established, so every line of it names them."""
    context = _current.get()
    if context is not None:
        context.user_id = str(user_id)
        context.company_id = str(company_id) if company_id is not None else None
