"""POST /api/webhooks/stripe: what is accepted and what is refused, before anything is stored.

Deliveries are signed here the way Stripe signs them (HMAC-SHA256 over ``"<t>." + body``), not
by the SDK the endpoint uses, so a mistake in how the SDK is called cannot hide in both places.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from pydantic import SecretStr

from pitchlab.deps import context_of
from tests.auth.helpers import drain_jobs
from tests.webhooks.conftest import restore_settings, with_webhook_secret
from tests.webhooks.helpers import (
    PATH,
    RECORDED,
    SECRET,
    UNHANDLED,
    deliver,
    handling_jobs,
    inbox_rows,
    sign,
    stripe_event,
)


async def test_a_signed_event_is_stored_as_received_and_its_handling_queued(
    client, app, owner_conn, stripe_secret, handlers
):
    body = stripe_event(RECORDED, "evt_stored_as_received", amount_paid=4900)
    response = await deliver(client, body)

    assert response.status_code == 200, response.text
    assert response.json() == {"received": True, "duplicate": False}
    [row] = await inbox_rows(owner_conn)
    assert row["source"] == "stripe" and row["event_id"] == "evt_stored_as_received"
    assert row["event_type"] == RECORDED
    assert bytes(row["raw_body"]) == body  # the signed bytes, whitespace and all
    assert row["payload"] == json.loads(body)
    assert (row["status"], row["attempts"], row["handled_at"]) == ("pending", 0, None)
    assert await handling_jobs(owner_conn, row["id"]) == [("todo", 0)]

    await drain_jobs(app)
    assert handlers.handled == ["evt_stored_as_received"]
    [row] = await inbox_rows(owner_conn)
    assert (row["status"], row["attempts"], row["last_error"]) == ("processed", 1, None)
    assert row["handled_at"] >= row["received_at"]


async def test_an_event_with_decimal_strings_is_stored_exactly_as_stripe_sent_it(
    client, owner_conn, stripe_secret, handlers
):
    # Invoice lines and prices carry decimal strings (``unit_amount_decimal``), which the SDK's
    # objects turn into Decimals: the stored payload is the JSON as sent, strings and all.
    body = stripe_event(RECORDED, "evt_with_decimals", lines={"object": "list", "data": [
        {"id": "il_1", "object": "line_item",
         "pricing": {"type": "price_details", "unit_amount_decimal": "4900.5"}}]})
    response = await deliver(client, body)

    assert response.status_code == 200, response.text
    [row] = await inbox_rows(owner_conn)
    assert row["payload"] == json.loads(body)


async def test_an_event_type_nobody_handles_is_marked_ignored(
    client, app, owner_conn, stripe_secret, handlers
):
    response = await deliver(client, stripe_event(UNHANDLED))
    assert response.status_code == 200
    await drain_jobs(app)
    [row] = await inbox_rows(owner_conn)
    assert (row["status"], row["attempts"]) == ("ignored", 1)
    assert row["handled_at"] is not None
    assert handlers.runs == []


async def test_while_a_secret_is_rolled_one_matching_signature_is_enough(
    client, owner_conn, stripe_secret
):
    body = stripe_event(UNHANDLED)
    t = int(time.time())
    old = sign(body, "whsec_the_previous_secret", t).split(",")[1]
    current = sign(body, SECRET, t).split(",")[1]
    response = await deliver(client, body, f"t={t},{old},{current}")
    assert response.status_code == 200, response.text
    assert len(await inbox_rows(owner_conn)) == 1


def _one_byte_changed(body: bytes) -> bytes:
    return body.replace(b'"livemode": false', b'"livemode": falsE', 1)


def _refusals():
    """(name, body, signature header or None for no header, expected code), signed now."""
    body = stripe_event(RECORDED, "evt_refused")
    now = int(time.time())
    yield "no header", body, None, "invalid_signature"
    yield "empty header", body, "", "invalid_signature"
    yield "not a signature", body, "this is no signature", "invalid_signature"
    yield "another secret", body, sign(body, "whsec_someone_else"), "invalid_signature"
    yield "one byte changed", _one_byte_changed(body), sign(body), "invalid_signature"
    yield "no v1", body, sign(body).replace("v1=", "v0="), "invalid_signature"
    yield "v1 empty", body, f"t={now},v1=", "invalid_signature"
    moved = sign(body, timestamp=now).replace(f"t={now}", f"t={now + 1}")
    yield "timestamp changed", body, moved, "invalid_signature"
    yield "301 s old", body, sign(body, timestamp=now - 301), "stale_timestamp"
    yield "a day old", body, sign(body, timestamp=now - 86_400), "stale_timestamp"
    # A body that is not UTF-8 cannot carry Stripe's signature (Stripe signs text).
    latin = body.replace(b"evt_refused", b"evt_r\xe9fused")
    yield "not UTF-8", latin, sign(latin), "invalid_signature"
    # Correctly signed, but not a Stripe event.
    for name, bad in [("not JSON", b"{'id': 'evt_1'"), ("a JSON array", b"[1, 2]"),
                      ("JSON null", b"null"), ("a JSON string", b'"evt_1"'),
                      ("no id", json.dumps({"object": "event", "type": RECORDED}).encode()),
                      ("no type", json.dumps({"object": "event", "id": "evt_1"}).encode()),
                      ("a numeric id", json.dumps({"id": 1, "type": RECORDED}).encode()),
                      ("a thin v2 event", json.dumps({"id": "evt_1", "object": "v2.core.event",
                                                      "type": RECORDED}).encode()),
                      ("empty", b"")]:
        yield name, bad, sign(bad), "invalid_payload"


@pytest.mark.parametrize("case", [case[0] for case in _refusals()])
async def test_a_refused_delivery_is_a_400_that_stores_and_queues_nothing(
    client, owner_conn, stripe_secret, handlers, case
):
    # Signed now, not when the tests were collected (which can be more than 300 s ago).
    body, signature, code = {name: rest for name, *rest in _refusals()}[case]
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    response = await client.post(PATH, content=body, headers=headers)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert await inbox_rows(owner_conn) == []
    assert await handling_jobs(owner_conn) == []


@pytest.mark.parametrize("configured", [None, SecretStr(""), SecretStr("  ")],
                         ids=["unset", "empty", "blank"])
async def test_without_a_secret_every_delivery_is_refused(client, app, owner_conn, configured):
    original = with_webhook_secret(app, configured)
    try:
        body = stripe_event(RECORDED)
        # Signed with every key a forger could guess for "no secret".
        for key in ("", " ", "None", SECRET):
            response = await deliver(client, body, sign(body, key))
            assert response.status_code == 400, response.text
            assert response.json()["error"]["code"] == "webhook_not_configured"
    finally:
        restore_settings(app, original)
    assert await inbox_rows(owner_conn) == []


async def test_the_body_limit_applies(client, app, owner_conn, stripe_secret):
    limit = context_of(app).settings.max_body_bytes
    body = stripe_event(RECORDED, padding="x" * limit)
    assert len(body) > limit
    response = await deliver(client, body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert await inbox_rows(owner_conn) == []


async def test_the_secret_and_signatures_never_reach_logs_or_answers(
    client, app, owner_conn, stripe_secret, handlers, caplog
):
    caplog.set_level(logging.DEBUG)
    accepted, failing = stripe_event(RECORDED), stripe_event(RECORDED, "evt_fails_once")
    handlers.failures_left["evt_fails_once"] = 1
    signatures = [sign(accepted), sign(failing), sign(accepted, "whsec_wrong"),
                  sign(accepted, timestamp=int(time.time()) - 1000)]
    answers = [await deliver(client, body, signature)
               for body, signature in zip([accepted, failing, accepted, accepted], signatures,
                                          strict=True)]
    answers.append(await deliver(client, b"not json", sign(b"not json")))
    with_webhook_secret(app, None)  # stripe_secret puts the original settings back
    answers.append(await deliver(client, accepted))
    await drain_jobs(app)

    assert [a.status_code for a in answers] == [200, 200, 400, 400, 400, 400]
    logged = caplog.text  # every record as formatted, tracebacks included
    assert "refused" in logged and "failed" in logged  # the lines exist, just without secrets
    secret_hex = SECRET.removeprefix("whsec_")
    for answer in answers:
        assert secret_hex not in answer.text and "v1=" not in answer.text
    assert secret_hex not in logged
    for signature in signatures:
        assert signature.split("v1=")[1] not in logged


async def test_a_signature_inside_the_tolerance_is_accepted(client, owner_conn, stripe_secret):
    body = stripe_event(UNHANDLED)
    response = await deliver(client, body, sign(body, timestamp=int(time.time()) - 290))
    assert response.status_code == 200, response.text
    assert len(await inbox_rows(owner_conn)) == 1


async def test_the_description_documents_the_endpoint_its_header_and_its_refusals(client):
    description = (await client.get("/openapi.json")).json()
    operation = description["paths"][PATH]["post"]
    assert "security" not in operation  # public: the signature is the authentication
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Stripe-Signature" and header["required"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
    refusals = operation["responses"]["400"]["description"]
    for code in ("invalid_signature", "stale_timestamp", "invalid_payload",
                 "webhook_not_configured"):
        assert code in refusals
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/WebhookReceived"}
    assert {"413", "503"} <= set(operation["responses"])
