"""The web app's routers and static files, added to the API's app by ``create_app``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import Response

from pitchlab.http.security_headers import API_PATHS
from pitchlab.web import (
    account,
    admin,
    analytics,
    assignments,
    history,
    operator,
    practice,
    public,
    recordings,
    scenarios,
    scorecards,
)
from pitchlab.web.pages import STATIC_DIR, error_page

# One line per area of the web app; each module's ``router`` uses ``WebRoute``.
ROUTERS = (public.router, practice.router, history.router, account.router, admin.router,
           operator.router, scorecards.router, scenarios.router, analytics.router,
           assignments.router, recordings.router)


def install_web_app(app: FastAPI) -> None:
    """After ``install_error_handlers``: its answers become pages for a browser's page loads."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for error_class, handler in list(app.exception_handlers.items()):
        app.add_exception_handler(error_class, _as_page(handler))


def is_page_request(request: Request) -> bool:
    """A browser loading a page of the web app (not the API, its docs or a static file)."""
    path = request.url.path
    return (not path.startswith((*API_PATHS, "/docs", "/redoc", "/static/"))
            and "text/html" in request.headers.get("accept", ""))


def _as_page(handler: Callable[[Request, Exception], Any]) -> Callable[..., Any]:
    """The API's error answer (the envelope), shown as a page when a browser asked for one: an
    unknown address, the database briefly away, a body too large. Its status and its
    Retry-After/Allow headers are kept."""

    async def answer(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if inspect.isawaitable(response):
            response = await response
        if not is_page_request(request) or response.status_code < 400:
            return response
        try:
            message = orjson.loads(response.body)["error"]["message"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return response  # not the envelope: left as it is
        page = error_page(request, response.status_code, message)
        for name in ("retry-after", "allow"):
            if name in response.headers:
                page.headers[name] = response.headers[name]
        return page

    return answer
