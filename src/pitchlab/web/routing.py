"""``WebRoute``: what a page's services raise, turned into a page.

A page's handler runs inside its unit of work (``web.unit_of_work.DbSession``); the route marks a
refused request so that its transaction rolls back, and answers with a page:

- ``FormRejected`` (``form_errors`` raises it from a service's refusal or a validation error):
  the form again, with the message and the values typed;
- ``LoginRequired``: to the login page, and back here afterwards;
- ``CsrfRejected``: 403 page, nothing done;
- any other ``DomainError``: an error page with its message and the API's status for it;
- a malformed path or query (``RequestValidationError``): 404 page.

So no page catches a service's error inside its transaction (which would commit half of it).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from pitchlab.auth.dependencies import Principal
from pitchlab.http.error_catalogue import http_status_of
from pitchlab.kit.errors import DomainError, NotFound
from pitchlab.web.csrf import CsrfRejected
from pitchlab.web.pages import error_page, redirect, render
from pitchlab.web.session import LoginRequired
from pitchlab.web.unit_of_work import mark_refused


@dataclass
class FormRejected(Exception):
    """Show ``template`` again with ``message`` and per-field ``errors``."""

    template: str
    context: dict[str, Any]
    message: str
    status: int
    errors: dict[str, str] = field(default_factory=dict)
    principal: Principal | None = None


@contextmanager
def form_errors(template: str, context: dict[str, Any], *,
                principal: Principal | None = None) -> Iterator[None]:
    """Around a form's work: a refusal becomes ``FormRejected`` (the form shown again)."""
    try:
        yield
    except ValidationError as error:
        problems = {_field_of(problem): problem["msg"] for problem in error.errors()}
        raise FormRejected(template, context, "Please correct the fields marked below.", 422,
                           problems, principal) from None
    except DomainError as error:
        raise FormRejected(template, context, error.message, http_status_of(error),
                           {}, principal) from None


def _field_of(problem: Any) -> str:
    location = [part for part in problem.get("loc", ()) if isinstance(part, str)]
    return location[0] if location else "form"


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except (FormRejected, LoginRequired, CsrfRejected, RequestValidationError,
                    DomainError) as refusal:
                mark_refused(request)  # the page's unit of work rolls back (web.unit_of_work)
                return _refusal_page(request, refusal)

        return page


def _refusal_page(request: Request, refusal: Exception) -> Response:
    if isinstance(refusal, FormRejected):
        return render(request, refusal.template,
                      {**refusal.context, "message": refusal.message,
                       "errors": refusal.errors, "status": refusal.status},
                      principal=refusal.principal, status=refusal.status)
    if isinstance(refusal, LoginRequired):
        return _to_login(request)
    if isinstance(refusal, CsrfRejected):
        return error_page(request, 403, "This form has expired or did not come from "
                          "Pitchlab. Go back, reload the page and try again.")
    if isinstance(refusal, DomainError):
        return error_page(request, http_status_of(refusal), refusal.message)
    return error_page(request, 404, NotFound.default_message)  # a malformed path or query


def _to_login(request: Request) -> Response:
    """To the login page, and back here afterwards. An htmx request (a part of a page refreshing
    itself) moves the whole page (HX-Redirect) instead of swapping the login form into the part,
    and comes back to that page, not to the part's own address."""
    if request.headers.get("hx-request") == "true":
        page = urlsplit(request.headers.get("hx-current-url", ""))
        back = _path_and_query(page.path or "/practice", page.query)
        return Response(status_code=204,
                        headers={"HX-Redirect": "/login?" + urlencode({"next": back})})
    back = _path_and_query(request.url.path, request.url.query)
    return redirect(request, "/login?" + urlencode({"next": back}))


def _path_and_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path
