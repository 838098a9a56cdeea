"""The OpenAPI description: what FastAPI derives from the routes, plus what holds for every
endpoint and that no single route declares.

- every response carries ``X-Request-ID``; 429 and 503 carry ``Retry-After``;
- every endpoint that uses the database may answer 503 ``service_unavailable`` (an outage);
- every endpoint that takes a body may answer 413 ``payload_too_large`` (``max_body_bytes``);
- every endpoint with a security scheme may answer 401, and with parameters or a body, 422;
- every error response has the one envelope (``ErrorOut``), FastAPI's own validation-error
  schema never appears.

Endpoints declare their specific errors themselves (``http.errors.error_responses``);
tests/http/test_openapi.py checks the result, tests/http/test_openapi_schemathesis.py checks
the running app against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

ERROR_SCHEMA_REF = "#/components/schemas/ErrorOut"
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

HEADERS = {
    "X-Request-ID": {
        "description": "The request's id: the client's own `X-Request-ID` echoed when it sent "
        "one (up to 128 characters of letters, digits and `-_.:`), else a new one. Also in "
        "every error body as `request_id`, and in the server's log lines.",
        "required": True,
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}
RETRY_AFTER_STATUSES = ("429", "503")

CONVENTIONS = """
## Conventions

- **Authentication:** `Authorization: Bearer <access_token>` (the `HTTPBearer` scheme), the token
  from `POST /api/auth/login`; it lives 15 minutes, then `POST /api/auth/refresh` gives a new one.
  The ElevenLabs-compatible `GET /v1/convai/conversation/get-signed-url` takes the same token in
  `xi-api-key` (its own scheme), where the ElevenLabs SDKs send their key.
- **Errors** have one body, whatever the status: `{"error": {"code", "message", "details"},
  "request_id"}`. The message says what to do next; `code` is stable, the message is not.
- **Headers:** every response carries `X-Request-ID`; 429 `rate_limited` and 503
  `service_unavailable` (the database is briefly unreachable; any endpoint that uses it) carry
  `Retry-After` in seconds. A body over the server's limit (1 MiB by default) is 413
  `payload_too_large`.
- **Request bodies** are strict JSON objects: unknown fields, a string where a number or boolean
  belongs (and the other way round), and text containing NUL (U+0000) are 422
  `validation_error`, with every problem in `details.errors` (`loc`, `type`, `message`).
- **Order of checks:** a body that is not JSON at all (malformed, or not UTF-8) is refused with
  422 as soon as it is read, before the access token is looked at; everything else about the
  request (the token first, then the body's fields) is checked after.
"""


def install_openapi(app: FastAPI, *, database_dependency: Callable[..., Any]) -> None:
    """Serve the completed description at /openapi.json (built once, on first request).
    ``database_dependency`` is the dependency that opens a unit of work: an endpoint that uses it
    may answer 503 while the database is unreachable."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version,
                description=(app.description or "") + CONVENTIONS,
                routes=app.routes, tags=app.openapi_tags, servers=app.servers,
            )
            app.openapi_schema = complete(schema, app, database_dependency)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(
    schema: dict[str, Any], app: FastAPI, database_dependency: Callable[..., Any]
) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    components.setdefault("headers", {}).update(HEADERS)
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        components.get("schemas", {}).pop(name, None)
    routes = {(path, method.lower()): route for route, path, method in _api_routes(app)}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            if route is not None:
                _complete_operation(operation, route, database_dependency)
    return schema


def _api_routes(app: FastAPI) -> Iterator[tuple[RouteContext, str, str]]:
    # Included routers are nested (FastAPI's route contexts); this walks them as get_openapi does.
    for route in iter_route_contexts(app.routes):
        path = route.path_format
        if isinstance(route.original_route, APIRoute) and route.include_in_schema and path:
            for method in route.methods or ():
                yield route, path, method


def _complete_operation(
    operation: dict[str, Any], route: RouteContext, database_dependency: Callable[..., Any]
) -> None:
    responses = operation.setdefault("responses", {})
    if operation.get("security"):
        _add_error(responses, 401)
    if operation.get("parameters") or operation.get("requestBody"):
        _add_error(responses, 422)
    if operation.get("requestBody"):
        _add_error(responses, 413)
    if _uses(route.dependant, database_dependency):
        _add_error(responses, 503)
    for status, response in responses.items():
        _document_response(status, response)


def _add_error(responses: dict[str, Any], status: int) -> None:
    responses.setdefault(str(status), {"description": HTTPStatus(status).phrase})


def _document_response(status: str, response: dict[str, Any]) -> None:
    headers = response.setdefault("headers", {})
    headers["X-Request-ID"] = {"$ref": "#/components/headers/X-Request-ID"}
    if status in RETRY_AFTER_STATUSES:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    if status.startswith(("4", "5")):
        # FastAPI's default 422 body, or an error declared without a model: the envelope.
        response["content"] = {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}}


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(
        dependency.call is call or _uses(dependency, call)
        for dependency in dependant.dependencies
    )
