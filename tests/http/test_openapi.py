"""What /openapi.json tells a client developer, beyond what FastAPI derives by itself."""

from __future__ import annotations

import re

import pytest

from pitchlab.http.validation import NO_NUL_PATTERN
from pitchlab.users.schemas import API_KEY_PATTERN
from tests.auth.helpers import PASSWORD, bearer, signed_up

ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture
async def description(client) -> dict:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(description):
    for path, operations in description["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _schemas(description) -> dict:
    return description["components"]["schemas"]


def test_the_password_rules_are_described(description):
    for name, field in [("RegisterIn", "password")]:
        password = _schemas(description)[name]["properties"][field]
        assert password["minLength"] == 8
        assert "maxLength" not in password  # 72 bytes is not 72 characters
        assert "72 bytes in UTF-8" in password["description"]
        assert password["x-max-utf8-bytes"] == 72
    new_password = _schemas(description)["UserUpdate"]["properties"]["new_password"]
    assert any(branch.get("minLength") == 8 for branch in new_password["anyOf"])


def test_registration_takes_exactly_one_of_company_name_or_invite_token(description):
    register = _schemas(description)["RegisterIn"]
    assert sorted(branch["required"] for branch in register["oneOf"]) == [
        ["company_name"], ["invite_token"]
    ]


def test_every_free_text_field_of_a_request_body_refuses_nul(description):
    bodies = {
        ref["$ref"].rsplit("/", 1)[1]
        for _, op in _operations(description)
        for ref in [op.get("requestBody", {}).get("content", {})
                    .get("application/json", {}).get("schema", {})]
        if "$ref" in ref
    }
    assert {"RegisterIn", "LoginIn", "UserUpdate", "ConsentIn", "TextTurn"} <= bodies
    strings = [  # a pattern beside anyOf holds for its string branch too
        (name, field, {"pattern": prop.get("pattern"), **schema})
        for name in bodies | {"ApiKeysIn"}
        for field, prop in _schemas(description)[name]["properties"].items()
        for schema in [prop, *prop.get("anyOf", [])]
        if schema.get("type") == "string" and "enum" not in schema and "const" not in schema
    ]
    assert strings
    for name, field, schema in strings:
        pattern = schema.get("pattern") or ""
        assert pattern, f"{name}.{field} says nothing of NUL"
        assert not re.search(pattern, "a\x00b"), f"{name}.{field}: {pattern}"


def test_the_api_key_format_is_described_and_is_the_rule(description):
    keys = _schemas(description)["ApiKeysIn"]["properties"]
    assert keys["openai"]["pattern"] == keys["elevenlabs"]["pattern"] == API_KEY_PATTERN
    assert NO_NUL_PATTERN != API_KEY_PATTERN


@pytest.mark.parametrize(("key", "accepted"), [
    ("sk-" + "a" * 40, True), ("x" * 8, True), ("x" * 7, False), ("x" * 513, False),
    ("sk-with space", False), ("sk-\x01control", False), ("sk-ünïcode-key", False),
])
async def test_the_api_key_rule_at_runtime_is_the_described_pattern(
    client, app, owner_url, key, accepted
):
    tokens = await signed_up(client, app, owner_url)
    assert bool(re.match(API_KEY_PATTERN, key)) is accepted
    response = await client.put("/api/users/me", headers=bearer(tokens),
                                json={"api_keys": {"openai": key}})
    assert response.status_code == (200 if accepted else 422), response.text


def test_every_response_documents_its_headers(description):
    for label, operation in _operations(description):
        for status, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert headers.get("X-Request-ID") == {"$ref": "#/components/headers/X-Request-ID"}, (
                label, status)
            if status in ("429", "503"):
                assert "Retry-After" in headers, (label, status)
    components = description["components"]["headers"]
    assert components["X-Request-ID"]["required"] and components["Retry-After"]["required"]


def test_every_error_response_is_the_envelope(description):
    assert "HTTPValidationError" not in _schemas(description)
    for label, operation in _operations(description):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (label, status)


# Answered from the settings alone: no database, so no outage to declare.
WITHOUT_DATABASE = ("GET /healthz", "GET /api/plans", "GET /api/billing/top-ups")


def test_each_operation_declares_the_errors_it_can_answer(description):
    for label, operation in _operations(description):
        statuses = set(operation["responses"])
        if operation.get("security"):
            assert "401" in statuses, label
        if "requestBody" in operation:
            assert {"413", "422"} <= statuses, label
        if label in WITHOUT_DATABASE:
            assert "503" not in statuses, label
        elif label.startswith(("POST /api/", "PUT /api/", "GET /api/", "DELETE /api/", "GET /v1/")):
            assert "503" in statuses, label  # every one of them uses the database


def test_the_security_schemes(description):
    schemes = description["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {**schemes["HTTPBearer"], "type": "http", "scheme": "bearer"}
    assert schemes["xi-api-key"] == {
        **schemes["xi-api-key"], "type": "apiKey", "in": "header", "name": "xi-api-key"
    }
    operations = dict(_operations(description))
    assert operations["GET /v1/convai/conversation/get-signed-url"]["security"] == [
        {"xi-api-key": []}
    ]
    assert operations["GET /api/users/me"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in operations["POST /api/auth/login"]


async def test_a_rate_limited_answer_carries_what_the_description_promises(client):
    body = {"email": "limited@example.com", "password": PASSWORD}
    for _ in range(40):
        response = await client.post("/api/auth/login", json=body)
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert response.headers["retry-after"].isdigit() and response.headers["x-request-id"]
