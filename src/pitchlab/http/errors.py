"""The contract's one JSON error envelope, and the handlers that give every error its shape.

Every error, whoever raises it (a domain's named error, FastAPI's validation, Starlette's
routing, an unreachable database), leaves as
``{"error": {"code", "message", "details"}, "request_id"}``; a named domain error gets its status
from the error catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from procrastinate.exceptions import ConnectorException
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from pitchlab.db import is_database_unavailable
from pitchlab.http.error_catalogue import http_status_of
from pitchlab.http.request_id import current_request_id
from pitchlab.kit.errors import DomainError, RetryLater, Unauthorized

# Starlette raises bare HTTPExceptions for routing; these are their contract codes.
_CODES_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(BaseModel):
    """The body of every error response."""

    error: ErrorDetail
    request_id: str | None


def error_responses(*answers: int | type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for what an endpoint can answer with: statuses, or named domain errors
    (whose statuses and codes come from the error catalogue)."""
    codes: dict[int, list[str]] = {}
    for answer in answers:
        if isinstance(answer, int):
            codes.setdefault(answer, [])
        else:
            codes.setdefault(http_status_of(answer), []).append(answer.code)
    return {
        status: {
            "model": ErrorOut,
            "description": HTTPStatus(status).phrase
            + (f" ({', '.join(sorted(set(names)))})" if names else ""),
        }
        for status, names in sorted(codes.items())
    }


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "details": details or {}},
        "request_id": current_request_id(),
    }


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(
        http_status_of(exc), exc.code, exc.message, exc.details, _headers_of(exc) or None
    )


def _headers_of(error: DomainError) -> dict[str, str]:
    """What HTTP itself asks of these answers: how long to wait, how to authenticate."""
    headers = {}
    if isinstance(error, RetryLater):
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return headers


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if (unreadable := _unreadable_json(exc)) is not None:
        return await _validation_error(request, unreadable)
    code = _CODES_BY_STATUS.get(exc.status_code, "error")
    message = _http_message(exc)
    headers = exc.headers
    if exc.status_code == 405:
        allowed = ", ".join(allowed_methods(request))
        headers = {**(headers or {}), "Allow": allowed}
        message = f"Method not allowed: this path takes {allowed}."
    return error_response(exc.status_code, code, message, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method of the resource at this path. Starlette's 405 names only the first route
    that matched the path, and a path often has several (GET, PUT and DELETE of one resource).
    A path written out in full (``/api/sessions/start``) is its own resource, even where a
    templated one (``/api/sessions/{session_id}``) would match it too."""
    exact: set[str] = set()
    templated: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        path_regex = getattr(route, "path_regex", None)
        if not route.methods or path_regex is None or not path_regex.match(request.scope["path"]):
            continue
        (templated if "{" in (route.path_format or "") else exact).update(route.methods)
    return sorted(exact or templated)


def _unreadable_json(exc: StarletteHTTPException) -> RequestValidationError | None:
    """FastAPI answers 400 when a JSON body cannot even be decoded (not UTF-8, or nested deeper
    than Python's parser goes), where it answers 422 for any other malformed JSON: the same 422
    for all of them."""
    if exc.status_code != 400:
        return None
    if isinstance(exc.__cause__, UnicodeDecodeError):
        reason = "the body is not UTF-8"
    elif isinstance(exc.__cause__, RecursionError):
        reason = "the body is nested too deeply"
    else:
        return None
    return RequestValidationError(
        [{"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {reason}"}]
    )


def _http_message(exc: StarletteHTTPException) -> str:
    if exc.status_code == 404:
        return "Not found."
    if exc.status_code == 405:
        return "Method not allowed."
    if isinstance(exc.detail, str) and exc.detail:
        return exc.detail
    return HTTPStatus(exc.status_code).phrase + "."


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe_problem(error) for error in exc.errors()]
    return error_response(
        422, "validation_error", _validation_message(problems), {"errors": problems}
    )


# Pydantic's wording for errors raised in our validators; the client needs only what follows.
_LIBRARY_PREFIXES = ("Value error, ", "Assertion failed, ")


def _describe_problem(error: dict[str, Any]) -> dict[str, Any]:
    # Only where and what: never echo the submitted value, which may be a password.
    message = str(error.get("msg", "invalid value"))
    for prefix in _LIBRARY_PREFIXES:
        message = message.removeprefix(prefix)
    if error.get("type") == "json_invalid" and isinstance(error.get("ctx"), dict):
        # json's own reason ("Expecting value") says where the syntax broke, never the value
        message = f"{message}: {error['ctx'].get('error', 'invalid JSON')}"
    return {
        "loc": [str(part) for part in error.get("loc", ())],
        "type": error.get("type", "value_error"),
        "message": message,
    }


def _validation_message(problems: list[dict[str, Any]]) -> str:
    """The first problem in the sentence itself, so a client that shows only the message still
    says what to fix: "The request is not valid: password: must have at least 8 characters"."""
    if not problems:
        return "The request is not valid."
    first = problems[0]
    # A syntax error's location is a character offset: no field to name.
    where = "" if first["type"] == "json_invalid" else ".".join(
        part for part in first["loc"] if part != "body"
    )
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    what = f"{where}: {first['message']}" if where else first["message"]
    return f"The request is not valid: {what}{more}."


# What a client is told to wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5
# Whatever can carry "the database cannot be reached"; is_database_unavailable sorts them.
_DATABASE_ERRORS = (
    sa_exc.DBAPIError, sa_exc.TimeoutError, psycopg.Error, psycopg_pool.PoolTimeout,
    ConnectorException,
)


# Told of each request that met an unreachable database (the app logs an outage once).
OutageReporter = Callable[[Request, Exception], None]


def _database_error_handler(
    report_outage: OutageReporter | None,
) -> Callable[[Request, Exception], Any]:
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        """An unreachable database is a 503 the client may retry. Any other database error (a
        bad query, a constraint) is a bug: re-raised, it becomes the 500 envelope with its
        traceback in the log."""
        if not is_database_unavailable(exc):
            raise exc
        if report_outage is not None:
            report_outage(request, exc)
        return database_unavailable_response()

    return database_error


def database_unavailable_response() -> JSONResponse:
    return error_response(
        503, "service_unavailable",
        "The service is briefly unavailable; try again in a few seconds.",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI, *, report_outage: OutageReporter | None = None) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    database_error = _database_error_handler(report_outage)
    for error_class in _DATABASE_ERRORS:
        app.add_exception_handler(error_class, database_error)
