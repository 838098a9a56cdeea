"""Error messages a newcomer meets name the next step, through the HTTP API."""

from __future__ import annotations

import uuid

import httpx
import pytest
from pydantic import SecretStr

from pitchlab.app import create_app
from pitchlab.http.errors import _describe_problem
from pitchlab.security.tokens import decode_access_token, issue_access_token
from tests.auth.helpers import PASSWORD, bearer, register, signed_up, unique_email
from tests.http.test_envelope import assert_envelope


async def _login(client, email: str):
    return await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})


# --- signing in before confirming the address ---------------------------------------------------

async def test_login_before_confirming_names_the_resend_endpoint_and_the_outbox(client):
    email = unique_email()
    assert (await register(client, email)).status_code == 202
    body = assert_envelope(await _login(client, email), 403, "email_not_verified")
    message = body["error"]["message"]
    assert "POST /api/auth/resend-verification" in message
    assert "pitchlab outbox" in message  # the offline email provider: the developer's mailbox
    assert body["error"]["details"] == {
        "resend_verification": "POST /api/auth/resend-verification"
    }
    # The step it names works.
    resent = await client.post("/api/auth/resend-verification", json={"email": email})
    assert resent.status_code == 202


@pytest.fixture(scope="module")
async def client_with_email_provider(settings):
    # A real provider configured (nothing is sent: the test never runs the delivery job).
    app = create_app(settings.model_copy(update={"resend_api_key": SecretStr("re_test_key")}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_with_an_email_provider_the_message_does_not_send_you_to_the_outbox(
    client_with_email_provider, owner_url
):
    email = unique_email()
    assert (await register(client_with_email_provider, email)).status_code == 202
    response = await _login(client_with_email_provider, email)
    message = assert_envelope(response, 403, "email_not_verified")["error"]["message"]
    assert "POST /api/auth/resend-verification" in message
    assert "outbox" not in message


# --- practice: consent and scenarios -------------------------------------------------------------

async def test_consent_required_names_the_consent_endpoint_and_kind(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    response = await client.post("/api/sessions/start", headers=bearer(tokens),
                                 json={"mode": "voice"})
    body = assert_envelope(response, 403, "consent_required")
    assert "POST /api/users/me/consents" in body["error"]["message"]
    assert "voice_recording" in body["error"]["message"]
    assert body["error"]["details"]["kind"] == "voice_recording"
    # Doing what it says is enough.
    consent = {"kind": body["error"]["details"]["kind"], "granted": True, "version": "1"}
    given = await client.post("/api/users/me/consents", headers=bearer(tokens), json=consent)
    assert given.status_code == 201
    started = await client.post("/api/sessions/start", headers=bearer(tokens),
                                json={"mode": "voice"})
    assert started.status_code == 201, started.text


async def test_an_unknown_scenario_points_at_the_scenario_list(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    response = await client.post("/api/sessions/start", headers=bearer(tokens),
                                 json={"mode": "text", "scenario_id": "no-such-scenario"})
    body = assert_envelope(response, 422, "unknown_scenario")
    assert "GET /api/scenarios" in body["error"]["message"]
    assert body["error"]["details"]["scenario_id"] == "no-such-scenario"
    listed = await client.get("/api/scenarios", headers=bearer(tokens))
    assert listed.status_code == 200 and listed.json()["items"]


# --- access tokens: missing, expired, invalid ----------------------------------------------------

def _reissued(settings, access_token: str, lifetime_seconds: int, secret: str | None = None):
    """The same claims as ``access_token``, signed again with another lifetime (or secret)."""
    claims = decode_access_token(settings.jwt_secret.get_secret_value(), access_token)
    return issue_access_token(
        secret or settings.jwt_secret.get_secret_value(), user_id=claims.user_id,
        company_id=claims.company_id, role=claims.role, lifetime_seconds=lifetime_seconds,
        token_version=claims.token_version,
    )


async def test_an_expired_access_token_says_to_refresh(client, app, owner_url, settings):
    tokens = await signed_up(client, app, owner_url)
    expired = _reissued(settings, tokens["access_token"], lifetime_seconds=-60)
    response = await client.get("/api/users/me", headers={"Authorization": f"Bearer {expired}"})
    body = assert_envelope(response, 401, "unauthorized")
    assert "expired" in body["error"]["message"]
    assert "POST /api/auth/refresh" in body["error"]["message"]
    assert body["error"]["details"] == {"reason": "expired"}
    # The step it names works: the refresh token gives a working access token.
    refreshed = await client.post("/api/auth/refresh",
                                  json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    me = await client.get("/api/users/me", headers=bearer(refreshed.json()))
    assert me.status_code == 200


async def test_a_forged_or_missing_token_is_not_called_expired(client, app, owner_url, settings):
    tokens = await signed_up(client, app, owner_url)
    # Expired and signed with another key: the signature fails first, so no "expired" hint.
    forged = _reissued(settings, tokens["access_token"], lifetime_seconds=-60,
                       secret="another-secret-that-is-long-enough-for-hs256")
    response = await client.get("/api/users/me", headers={"Authorization": f"Bearer {forged}"})
    body = assert_envelope(response, 401, "unauthorized")
    assert "expired" not in body["error"]["message"]
    assert body["error"]["details"] == {"reason": "invalid"}
    assert "POST /api/auth/login" in body["error"]["message"]

    missing = assert_envelope(await client.get("/api/users/me"), 401, "unauthorized")
    assert "Authorization: Bearer" in missing["error"]["message"]
    assert missing["error"]["details"] == {"reason": "missing"}


# --- validation messages --------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field", "expected"), [
    ({"password": "short"}, "password", "must have at least 8 characters"),
    ({"name": "Ri\x00ley"}, "name", "must not contain NUL characters"),
    ({"name": "   "}, "name", "must not be blank"),
    ({"invite_token": "x" * 20}, None, "give either company_name (a new company) or invite_token"),
])
async def test_validation_messages_carry_no_library_prefix(client, change, field, expected):
    body = {"email": unique_email(), "password": PASSWORD, "name": "Riley",
            "company_name": "Acme", **change}
    response = await client.post("/api/auth/register", json=body)
    error = assert_envelope(response, 422, "validation_error")["error"]
    problem = error["details"]["errors"][0]
    assert problem["message"] == expected
    assert problem["loc"] == (["body", field] if field else ["body"])
    # The sentence says it too, with the field, so a client that shows only it still helps.
    assert error["message"] == (
        f"The request is not valid: {field + ': ' if field else ''}{expected}."
    )
    assert "Value error" not in response.text and "Assertion failed" not in response.text


def test_an_assertion_in_a_validator_loses_its_prefix_too():
    problem = _describe_problem(
        {"type": "assertion_error", "loc": ("body", "x"), "msg": "Assertion failed, x is odd"}
    )
    assert problem == {"loc": ["body", "x"], "type": "assertion_error", "message": "x is odd"}


# --- bodies that are not JSON, and wrong methods ---------------------------------------------

@pytest.mark.parametrize("content", [b'{"email": "\xff@x.com", "password": "x"}', b"{not json"],
                         ids=["not-utf8", "malformed"])
async def test_a_body_that_is_not_json_is_a_422_like_any_malformed_json(client, content):
    headers = {"content-type": "application/json"}
    response = await client.post("/api/auth/login", content=content, headers=headers)
    problem = assert_envelope(response, 422, "validation_error")["error"]["details"]["errors"][0]
    assert problem["type"] == "json_invalid" and problem["loc"][0] == "body"
    # Signed-in endpoints alike: a body that is not JSON is refused as it is read, before the
    # token is looked at (as FastAPI does for malformed JSON; the description says so).
    response = await client.post("/api/users/me/consents", content=content, headers=headers)
    assert_envelope(response, 422, "validation_error")


async def test_a_json_body_with_wrong_fields_is_checked_after_the_token(client):
    response = await client.post("/api/users/me/consents", json={"kind": 5})
    assert_envelope(response, 401, "unauthorized")


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PATCH", "/api/users/me", "DELETE, GET, PUT"),
    ("DELETE", "/api/users/me/consents", "GET, POST"),
    ("GET", "/api/sessions/start", "POST"),
    # a fixed id: parallel workers must collect the same test names
    ("DELETE", f"/api/sessions/{uuid.UUID(int=1)}", "GET"),
    ("PUT", "/healthz", "GET"),
    ("POST", "/docs", "GET, HEAD"),
])
async def test_a_405_lists_every_method_of_the_path(client, method, path, allow):
    response = await client.request(method, path)
    body = assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow
    assert body["error"]["message"] == f"Method not allowed: this path takes {allow}."
