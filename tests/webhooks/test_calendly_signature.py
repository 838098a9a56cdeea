"""``POST /api/webhooks/calendly``: ``Calendly-Webhook-Signature`` (``t=<unix time>,v1=<hex
HMAC-SHA256(key, "<t>." + body)>``) computed here, independently of the code under test; the
invitee events update the demo booking they are about."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from pitchlab.deps import context_of, install_context
from tests.auth.helpers import drain_jobs
from tests.demo.test_demo_booking import bookings, demo_body
from tests.webhooks.helpers import handling_jobs, inbox_rows

PATH = "/api/webhooks/calendly"
KEY = "calendly-signing-key-0nly-the-server-knows"
HEADER = "Calendly-Webhook-Signature"
API = "https://api.calendly.com"


def sign(body: bytes, key: str = KEY, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(key.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def invitee_event(event: str, email: str, start: datetime,
                  invitee_uri: str = f"{API}/scheduled_events/EV1/invitees/INV1") -> bytes:
    """A Calendly webhook body (API v2 shape)."""
    return json.dumps({
        "created_at": "2026-11-27T20:00:00.000000Z",
        "created_by": f"{API}/users/OWNER",
        "event": event,
        "payload": {
            "uri": invitee_uri, "email": email, "name": "Pat Prospect",
            "status": "canceled" if event == "invitee.canceled" else "active",
            "timezone": "Europe/Berlin", "event": f"{API}/scheduled_events/EV1",
            "scheduled_event": {
                "uri": f"{API}/scheduled_events/EV1", "name": "Pitchlab demo",
                "start_time": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "status": "active",
            },
        },
    }).encode()


@pytest.fixture
def calendly_key(app):
    original = context_of(app)
    install_context(app, dataclasses.replace(original, settings=original.settings.model_copy(
        update={"calendly_webhook_secret": SecretStr(KEY)})))
    yield KEY
    install_context(app, original)


async def deliver(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[HEADER] = signature
    return await client.post(PATH, content=body, headers=headers)


async def test_a_signed_event_is_stored_once_under_an_id_derived_from_it(
    client, owner_conn, calendly_key
):
    body = invitee_event("invitee.created", "pat@example.com", datetime.now(UTC))
    first = await deliver(client, body, sign(body))
    again = await deliver(client, body, sign(body))

    assert first.status_code == 200, first.text
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    [row] = await inbox_rows(owner_conn)
    assert row["source"] == "calendly" and row["event_type"] == "invitee.created"
    assert row["event_id"] == f"invitee.created:{API}/scheduled_events/EV1/invitees/INV1"
    assert bytes(row["raw_body"]) == body
    assert await handling_jobs(owner_conn, row["id"]) == [("todo", 0)]


def _refusals(body: bytes):
    changed = body.replace(b"pat@", b"pau@")
    now = int(time.time())
    return {
        "changed-byte": (changed, sign(body), "invalid_signature"),
        "stale": (body, sign(body, timestamp=now - 181), "stale_timestamp"),
        "future": (body, sign(body, timestamp=now + 181), "stale_timestamp"),
        "missing-v1": (body, f"t={now}", "invalid_signature"),
        "missing-t": (body, sign(body).split(",", 1)[1], "invalid_signature"),
        "wrong-key": (body, sign(body, "another-key"), "invalid_signature"),
        "no-header": (body, None, "invalid_signature"),
        "not-json": (b"{nope", sign(b"{nope"), "invalid_payload"),
        "no-invitee-uri": (b'{"event": "invitee.created", "payload": {}}',
                           sign(b'{"event": "invitee.created", "payload": {}}'),
                           "invalid_payload"),
    }


@pytest.mark.parametrize("case", list(_refusals(b"x")))
async def test_a_refused_delivery_is_a_400_that_stores_nothing(
    client, owner_conn, calendly_key, case
):
    body = invitee_event("invitee.created", "pat@example.com", datetime.now(UTC))
    sent, signature, code = _refusals(body)[case]  # signed now, not at collection

    response = await deliver(client, sent, signature)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert KEY not in response.text
    assert await inbox_rows(owner_conn) == []


async def test_a_signature_inside_the_three_minutes_is_accepted(client, calendly_key):
    body = invitee_event("invitee.created", "pat@example.com", datetime.now(UTC))
    response = await deliver(client, body, sign(body, timestamp=int(time.time()) - 170))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("configured", [None, SecretStr(""), SecretStr("  ")],
                         ids=["unset", "empty", "blank"])
async def test_without_a_key_every_delivery_is_refused(client, app, owner_conn, configured):
    original = context_of(app)
    install_context(app, dataclasses.replace(original, settings=original.settings.model_copy(
        update={"calendly_webhook_secret": configured})))
    try:
        body = invitee_event("invitee.created", "pat@example.com", datetime.now(UTC))
        for key in ("", " ", "None", KEY):
            response = await deliver(client, body, sign(body, key))
            assert response.status_code == 400, response.text
            assert response.json()["error"]["code"] == "webhook_not_configured"
    finally:
        install_context(app, original)
    assert await inbox_rows(owner_conn) == []


async def test_invitee_canceled_cancels_the_booking_calendly_made(
    app, client, owner_conn, calendly, calendly_key
):
    booked = await client.post("/api/demo/book", json=demo_body())
    assert booked.json()["status"] == "booked"
    [row] = await bookings(owner_conn)

    body = invitee_event("invitee.canceled", row["email"], row["start_time"],
                         invitee_uri=row["invitee_uri"])
    assert (await deliver(client, body, sign(body))).status_code == 200
    await drain_jobs(app)

    [row] = await bookings(owner_conn)
    assert row["status"] == "canceled"
    [event] = await inbox_rows(owner_conn)
    assert event["status"] == "processed"


async def test_invitee_created_through_the_link_books_the_pending_request(
    app, client, owner_conn, offline_with_sales, calendly_key
):
    start = (datetime.now(UTC) + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    body = demo_body(start_time=start.isoformat())
    await client.post("/api/demo/book", json=body)
    other = demo_body(start_time=(start + timedelta(hours=1)).isoformat(), email=body["email"])
    await client.post("/api/demo/book", json=other)

    event = invitee_event("invitee.created", body["email"].upper(), start,
                          invitee_uri=f"{API}/scheduled_events/EV9/invitees/INV9")
    assert (await deliver(client, event, sign(event))).status_code == 200
    await drain_jobs(app)

    first, second = await bookings(owner_conn)
    assert first["status"] == "booked"
    assert first["invitee_uri"] == f"{API}/scheduled_events/EV9/invitees/INV9"
    assert first["event_uri"] == f"{API}/scheduled_events/EV1"
    assert second["status"] == "pending"  # another time: not this invitee


async def test_an_invitee_we_did_not_book_changes_nothing(app, client, owner_conn,
                                                          calendly_key):
    body = invitee_event("invitee.canceled", "stranger@example.com", datetime.now(UTC))
    assert (await deliver(client, body, sign(body))).status_code == 200
    await drain_jobs(app)
    [event] = await inbox_rows(owner_conn)
    assert event["status"] == "processed"
    assert await bookings(owner_conn) == []
