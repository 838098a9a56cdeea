"""Practice, billing and feedback refuse with named errors; the catalogue gives each the
contract's status, code and message (issue 10)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import pitchlab
from pitchlab.app import create_app  # noqa: F401  (every domain's errors are imported with it)
from pitchlab.billing.errors import QuotaExhausted, SubscriptionInactive
from pitchlab.feedback.errors import NoFeedbackForCancelledCall
from pitchlab.http.error_catalogue import close_code_of, http_status_of
from pitchlab.kit.errors import (
    DomainError,
    EmailNotVerified,
    Forbidden,
    InvalidCursor,
    NotFound,
)
from pitchlab.models.values import FeedbackStatus, SessionMode, SessionStatus, one_of
from pitchlab.practice.errors import (
    ConsentRequired,
    OnlyAdminsListOthers,
    OperatorsDoNotPractise,
    SessionInProgress,
    SessionNotFound,
    SessionNotInProgress,
    UnknownScenario,
)
from tests.auth.helpers import bearer, signed_in_operator
from tests.practice.helpers import rep, start
from tests.practice.test_mid_call import colleague

CONSENT = ("Voice calls need your consent to voice recording first: POST /api/users/me/consents "
           "with kind \"voice_recording\" and granted true (or start a text call).")


@pytest.mark.parametrize(("error", "status", "code", "message"), [
    (SessionNotFound(), 404, "not_found", "No such session."),
    (OperatorsDoNotPractise(), 403, "forbidden", "Platform operators do not hold practice calls."),
    (OnlyAdminsListOthers(), 403, "forbidden", "Only admins can list other users' sessions."),
    (EmailNotVerified(), 403, "email_not_verified", "Confirm your email address first."),
    (UnknownScenario("nope"), 422, "unknown_scenario",
     "No scenario has this id: GET /api/scenarios lists the ones you can use."),
    (SessionInProgress(), 409, "session_in_progress",
     "You already have a practice call in progress."),
    (SessionNotInProgress(), 409, "session_not_in_progress", "This call has ended."),
    (ConsentRequired("voice_recording"), 403, "consent_required", CONSENT),
    (InvalidCursor(), 422, "invalid_cursor", "This cursor is not valid."),
    (QuotaExhausted(), 402, "quota_exhausted", "No practice minutes are left."),
    (SubscriptionInactive(), 402, "subscription_inactive",
     "The trial has ended and there is no active subscription."),
    (NoFeedbackForCancelledCall(), 404, "not_found", "A cancelled call has no feedback."),
], ids=lambda value: type(value).__name__ if isinstance(value, DomainError) else None)
def test_each_error_leaves_with_the_contracts_status_code_and_message(error, status, code, message):
    assert (http_status_of(error), error.code, error.message) == (status, code, message)


def test_the_details_tell_the_client_what_to_do():
    assert UnknownScenario("nope").details == {"scenario_id": "nope",
                                               "scenarios": "GET /api/scenarios"}
    assert ConsentRequired("voice_recording").details == {
        "kind": "voice_recording", "consents": "POST /api/users/me/consents"}


def test_a_stream_closes_with_4000_plus_the_status():
    assert close_code_of(QuotaExhausted) == 4402
    assert close_code_of(SessionNotFound) == 4404


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_named_error_has_a_status_and_every_code_one_class():
    owners: dict[str, type[DomainError]] = {}
    for error in _subclasses(DomainError):
        if "code" not in vars(error):
            continue  # a subclass for another message: its parent names the code
        if error.__module__.startswith("tests."):
            continue  # made up by a test (of the kernel, of the stream's close codes)
        assert http_status_of(error) in range(400, 600), error
        assert owners.setdefault(error.code, error) is error, f"{error.code} is defined twice"
    assert owners["not_found"] is NotFound and owners["forbidden"] is Forbidden


# --- the CHECK constraints of the migrations name the same words --------------------------------

def _revision(name: str):
    path = Path(pitchlab.__file__).parent / "migrations" / "versions" / name
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checks_are_rendered_from_the_enums_as_they_were_written():
    # 'recording' came with migration 0016 (which redefines the CHECK); 0004 keeps its own words
    assert one_of("mode", SessionMode) == "mode IN ('voice', 'text', 'recording')"
    assert one_of("status", SessionStatus) == "status IN ('in_progress', 'completed', 'cancelled')"
    assert one_of("feedback_status", FeedbackStatus) == (
        "feedback_status IN ('pending', 'ready', 'failed')")
    # the migration's SQL is what it was before the enums existed, word for word
    upgrade = _revision("0004_practice.py").UPGRADE
    assert "ADD COLUMN mode text NOT NULL DEFAULT 'voice' CHECK (mode IN ('voice', 'text'))," \
        in upgrade
    assert ("ADD COLUMN feedback_status text CHECK (feedback_status IN ('pending', 'ready', "
            "'failed')),") in upgrade


# --- through HTTP -------------------------------------------------------------------------------

def _error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


async def test_a_turn_after_the_end_and_a_bad_cursor(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    late = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                             json={"text": "hello?"})
    assert _error(late) == (409, "session_not_in_progress", "This call has ended.")
    listed = await client.get("/api/sessions?cursor=garbage", headers=bearer(tokens))
    assert _error(listed) == (422, "invalid_cursor", "This cursor is not valid.")


async def test_a_rep_lists_only_their_own_calls(client, app, owner_url):
    admin = await rep(client, app, owner_url)
    me = (await client.get("/api/users/me", headers=bearer(admin))).json()
    member = await colleague(client, owner_url, admin["email"])
    response = await client.get(f"/api/sessions?user_id={me['id']}", headers=bearer(member))
    assert _error(response) == (403, "forbidden", "Only admins can list other users' sessions.")


async def test_a_cancelled_calls_feedback_is_not_found(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens),
                      json={"reason": "cancelled"})
    response = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert _error(response) == (404, "not_found", "A cancelled call has no feedback.")


async def test_platform_operators_do_not_practise(client, owner_url, monkeypatch, tmp_path):
    login = await signed_in_operator(client, owner_url, monkeypatch, tmp_path)
    response = await client.post("/api/sessions/start", headers=bearer(login.json()),
                                 json={"mode": "text"})
    assert _error(response) == (403, "forbidden", "Platform operators do not hold practice calls.")


async def test_the_api_description_names_each_refusal(client):
    start_call = (await client.get("/openapi.json")).json()["paths"]["/api/sessions/start"]["post"]
    described = {status: answer["description"]
                 for status, answer in start_call["responses"].items()}
    assert described["402"] == "Payment Required (quota_exhausted, subscription_inactive)"
    assert described["403"] == "Forbidden (consent_required, email_not_verified)"
    assert described["409"] == "Conflict (session_in_progress)"
    assert described["422"].endswith("(unknown_scenario)")
