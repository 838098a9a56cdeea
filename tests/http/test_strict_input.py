"""Request bodies take JSON values as they are: a boolean is a JSON boolean ("yes", "true" and 1
are not), an integer a JSON integer, a string a JSON string. UUIDs and date-times, which JSON
sends as strings, still work where a body has them. Every request body of the app is held to it."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

import httpx
import psycopg
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import AwareDatetime, EmailStr, Field, Strict

import pitchlab.app  # noqa: F401  (imports every router, so every request body exists)
from pitchlab.database_setup import libpq_dsn
from pitchlab.http.errors import install_error_handlers
from pitchlab.http.request_id import RequestIdMiddleware
from pitchlab.http.validation import JSON_CHOICE, JsonDatetime, JsonUUID, RequestBody
from tests.auth.helpers import bearer, signed_up
from tests.http.test_envelope import assert_envelope

CONSENTS = "/api/users/me/consents"


@pytest.mark.parametrize("granted", ["yes", "true", "false", 1, 0, "1", None, [True]])
async def test_a_consent_needs_a_json_boolean(client, app, owner_url, granted):
    tokens = await signed_up(client, app, owner_url)
    response = await client.post(CONSENTS, headers=bearer(tokens),
                                 json={"kind": "marketing", "granted": granted, "version": "v1"})
    body = assert_envelope(response, 422, "validation_error")
    assert [e["loc"] for e in body["error"]["details"]["errors"]] == [["body", "granted"]]
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM consents").fetchone() == (0,)
    # and the real thing is still taken
    ok = await client.post(CONSENTS, headers=bearer(tokens),
                           json={"kind": "marketing", "granted": True, "version": "v1"})
    assert ok.status_code == 201 and ok.json()["granted"] is True


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/auth/login", {"email": "a@example.com", "password": 12345678}, "password"),
    ("/api/auth/register", {"email": "a@example.com", "password": "long enough pass",
                            "name": 42, "company_name": "Acme"}, "name"),
    ("/api/auth/refresh", {"refresh_token": 1234567890}, "refresh_token"),
])
async def test_a_string_field_refuses_a_number(client, owner_url, path, body, field):
    response = await client.post(path, json=body)
    problems = assert_envelope(response, 422, "validation_error")["error"]["details"]["errors"]
    assert ["body", field] in [p["loc"] for p in problems]
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


# --- the base class on its own: integers, UUIDs and date-times --------------------------------
# No public body has an integer, UUID or date-time field yet; this probe body has one of each,
# served by a probe route, so the rules are in place for the bodies that will.

class _Choice(StrEnum):
    X = "x"
    Y = "y"


class _Probe(RequestBody):
    count: int
    ratio: float = 0.5
    flag: bool = False
    id: JsonUUID | None = None
    at: JsonDatetime | None = None
    ids: list[JsonUUID] = Field(default_factory=list)
    kind: Literal["a", "b"] = "a"
    choice: Annotated[_Choice, JSON_CHOICE] = _Choice.X


@pytest.fixture(scope="module")
async def probe_client():
    app = FastAPI()
    install_error_handlers(app)
    router = APIRouter()

    @router.post("/probe")
    async def _probe(body: _Probe) -> dict:
        return body.model_dump(mode="json")

    app.include_router(router)
    app.add_middleware(RequestIdMiddleware)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        yield client


async def test_json_strings_for_uuids_and_date_times_still_work(probe_client):
    uid = "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
    response = await probe_client.post("/probe", json={
        "count": 5, "ratio": 2, "flag": True, "id": uid, "at": "2026-03-01T09:30:00+01:00",
        "ids": [uid], "kind": "b", "choice": "y"})
    assert response.status_code == 200, response.text
    assert response.json() == {"count": 5, "ratio": 2.0, "flag": True, "id": uid,
                               "at": "2026-03-01T09:30:00+01:00", "ids": [uid], "kind": "b",
                               "choice": "y"}


@pytest.mark.parametrize(("field", "value"), [
    ("count", "5"), ("count", 5.0), ("count", True), ("count", 5.5),
    ("ratio", "0.5"), ("ratio", True),
    ("flag", "yes"), ("flag", 1),
    ("id", 5), ("id", "not-a-uuid"),
    ("at", 1767225600), ("at", "2026-03-01T09:30:00"),  # a number, a time with no offset
    ("kind", "c"),
    ("choice", "z"), ("choice", "X"), ("choice", 1), ("choice", True), ("choice", ["x"]),
])
async def test_a_value_of_another_json_type_is_refused(probe_client, field, value):
    response = await probe_client.post("/probe", json={"count": 1, field: value})
    problems = assert_envelope(response, 422, "validation_error")["error"]["details"]["errors"]
    assert [p["loc"][:2] for p in problems] == [["body", field]]


# --- every request body of the app, present and future ------------------------------------------

def _request_bodies() -> list[type[RequestBody]]:
    found, pending = [], list(RequestBody.__subclasses__())
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return sorted(found, key=lambda m: f"{m.__module__}.{m.__qualname__}")


_JSON_NATIVE = (str, int, float, bool, type(None))
# the types JSON sends as strings: relaxed on purpose
_STRING_FORMS = (UUID, datetime, date, AwareDatetime)


def _relaxed(metadata: typing.Iterable[Any]) -> bool:
    return any(isinstance(m, Strict) and not m.strict for m in metadata)


def _loose_spots(annotation: Any, relaxed: bool = False) -> list[str]:
    """Where a field's type would take a value of another JSON type (or refuse its own)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _loose_spots(args[0], relaxed or _relaxed(args[1:]))
    if origin in (Union, types.UnionType, list, dict):
        return [spot for arg in args for spot in _loose_spots(arg, relaxed)]
    if origin is Literal or annotation in (Any, object):
        return []  # exact choices, or any JSON value taken as it is
    if isinstance(annotation, type) and issubclass(annotation, RequestBody):
        return []  # checked as a body of its own
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return [] if relaxed else [f"{annotation.__name__} without JSON_CHOICE"]
    if isinstance(annotation, type) and issubclass(annotation, _STRING_FORMS):
        return [] if relaxed else [f"{annotation.__name__} without its JSON string form"]
    if annotation in _JSON_NATIVE or annotation is EmailStr:
        return [f"relaxed {annotation.__name__}"] if relaxed else []
    return [f"{annotation!r} is not a JSON type"]


@pytest.mark.parametrize(
    "model", _request_bodies(), ids=lambda m: f"{m.__module__.split('.')[-2]}.{m.__qualname__}"
)
def test_every_request_body_is_strict(model):
    assert model.model_config.get("strict") is True
    assert model.model_config.get("extra") == "forbid"
    spots = {
        name: spots for name, field in model.model_fields.items()
        if (spots := _loose_spots(field.annotation, _relaxed(field.metadata)))
    }
    assert spots == {}, "use JSON types, JsonUUID or JsonDatetime (see http/validation.py)"


def test_the_walk_catches_a_loose_field():
    assert _loose_spots(bool, relaxed=True) == ["relaxed bool"]
    assert _loose_spots(UUID | None) == ["UUID without its JSON string form"]
    assert _loose_spots(JsonUUID | None) == []
    assert _loose_spots(JsonDatetime) == []
    assert _loose_spots(dict[str, Any] | None) == []
    assert _loose_spots(list[set[int]]) == ["set[int] is not a JSON type"]
    assert _loose_spots(_Choice) == ["_Choice without JSON_CHOICE"]
    assert _loose_spots(Annotated[_Choice, JSON_CHOICE]) == []


def _refs(schema: Any) -> typing.Iterator[str]:
    if isinstance(schema, dict):
        if "$ref" in schema:
            yield schema["$ref"].rsplit("/", 1)[-1]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def test_every_body_the_api_takes_is_a_request_body(app):
    """From the OpenAPI document: each endpoint's JSON body, and every schema inside one."""
    spec = app.openapi()
    components = spec["components"]["schemas"]
    names = {m.__name__ for m in _request_bodies()}
    seen, pending = set(), [
        ref for path in spec["paths"].values() for op in path.values()
        for ref in _refs(op.get("requestBody", {}))
    ]
    assert pending, "the API takes bodies"
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if set(components[name].get("enum", ())) and components[name].get("type") == "string":
            continue  # a closed set of strings (a StrEnum): a value, not a body
        assert name.removesuffix("-Input") in names, f"{name} is not a RequestBody"
        pending.extend(_refs(components[name]))
    assert {"ConsentIn", "UserUpdate", "ApiKeysIn", "LoginIn"} <= seen
