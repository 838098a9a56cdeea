"""``POST /api/demo/book``: stored first, booked with (a local fake of) Calendly, retried by a job
while Calendly is down, the sales inbox told either way."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.auth.helpers import drain_jobs, outbox
from tests.demo.conftest import SALES, TOKEN

PATH = "/api/demo/book"


def _start(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def demo_body(**changes) -> dict:
    body = {
        "name": "Pat Prospect", "email": f"pat-{uuid.uuid4().hex[:8]}@example.com",
        "company": "Globex", "start_time": _start().isoformat(), "timezone": "Europe/Berlin",
        "notes": "Ten reps, mostly outbound.",
    }
    return {**body, **changes}


async def bookings(owner_conn) -> list[dict]:
    cursor = await owner_conn.execute(
        "SELECT id, email, status, booking_url, invitee_uri, event_uri, attempts, start_time"
        " FROM demo_bookings ORDER BY created_at")
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]


async def retry_jobs(owner_conn, booking_id: str) -> list[tuple]:
    cursor = await owner_conn.execute(
        "SELECT status::text, attempts FROM procrastinate_jobs"
        " WHERE task_name = 'book_demo' AND args->>'booking_id' = %s", (booking_id,))
    return await cursor.fetchall()


async def test_a_free_time_is_booked_with_calendly_and_sales_is_told(client, owner_url,
                                                                      owner_conn, calendly):
    start = _start().astimezone(UTC) + timedelta(hours=2)
    # Given with an offset: Calendly is asked for the same moment in UTC.
    body = demo_body(start_time=start.astimezone(ZoneInfo("America/New_York")).isoformat())
    response = await client.post(PATH, json=body)

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["status"] == "booked" and answer["booking_url"] is None
    [sent] = calendly.invitees
    assert sent["request"]["event_type"] == calendly.event_type
    assert datetime.fromisoformat(sent["request"]["start_time"]) == start
    assert sent["request"]["invitee"] == {"name": "Pat Prospect", "email": body["email"],
                                          "timezone": "Europe/Berlin"}
    [row] = await bookings(owner_conn)
    assert str(row["id"]) == answer["id"] and row["status"] == "booked"
    assert row["invitee_uri"] == sent["resource"]["uri"]
    assert row["event_uri"] == sent["resource"]["event"]
    [mail] = outbox(owner_url, SALES)
    assert mail["kind"] == "demo_requested" and "Globex" in mail["subject"]
    assert body["email"] in mail["text"] and "Ten reps" in mail["text"]


async def test_a_taken_time_is_offered_a_scheduling_link(client, owner_conn, calendly):
    start = _start()
    calendly.taken.add(start)

    response = await client.post(PATH, json=demo_body(start_time=start.isoformat()))

    assert response.status_code == 201, response.text
    [link] = calendly.links
    assert response.json()["status"] == "pending"
    assert response.json()["booking_url"] == link["booking_url"]
    assert calendly.invitees == []
    [row] = await bookings(owner_conn)
    assert row["status"] == "link_sent" and row["booking_url"] == link["booking_url"]


async def test_while_calendly_is_down_the_request_is_kept_and_the_job_books_it_later(
    app, client, owner_url, owner_conn, calendly
):
    calendly.down = True
    response = await client.post(PATH, json=demo_body())

    assert response.status_code == 201, response.text
    assert response.json() == {"id": response.json()["id"], "status": "pending",
                               "booking_url": None}
    [row] = await bookings(owner_conn)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert len(outbox(owner_url, SALES)) == 1  # told at once, not after Calendly answers

    calendly.down = False
    await drain_jobs(app)

    [row] = await bookings(owner_conn)
    [sent] = calendly.invitees
    assert row["status"] == "booked" and row["attempts"] == 2
    assert row["invitee_uri"] == sent["resource"]["uri"]
    assert len(outbox(owner_url, SALES)) == 1


async def test_a_retry_while_calendly_is_still_down_counts_the_attempt_and_fails_the_job(
    app, client, owner_conn, calendly
):
    calendly.down = True
    booking_id = (await client.post(PATH, json=demo_body())).json()["id"]
    await drain_jobs(app)  # the job's first try: still down, so it is scheduled again

    [row] = await bookings(owner_conn)
    assert row["status"] == "pending" and row["attempts"] == 2
    assert await retry_jobs(owner_conn, booking_id) == [("todo", 1)]  # later, with backoff


async def test_offline_the_request_is_stored_pending_and_sales_is_told(
    client, owner_url, owner_conn, offline_with_sales
):
    response = await client.post(PATH, json=demo_body(notes=None))

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending" and response.json()["booking_url"] is None
    [row] = await bookings(owner_conn)
    assert row["status"] == "pending"
    # Nothing to retry: there is nobody to book with.
    assert await retry_jobs(owner_conn, response.json()["id"]) == []
    [mail] = outbox(owner_url, SALES)
    assert "No notes." in mail["text"]


async def test_without_a_sales_address_no_email_is_queued(client, owner_conn):
    response = await client.post(PATH, json=demo_body())

    assert response.status_code == 201, response.text
    cursor = await owner_conn.execute("SELECT count(*) FROM email_outbox")
    assert await cursor.fetchone() == (0,)


@pytest.mark.parametrize(("change", "field"), [
    ({"start_time": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}, "start_time"),
    ({"start_time": _start().replace(tzinfo=None).isoformat()}, "start_time"),
    ({"start_time": "next tuesday"}, "start_time"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": "EST5EDT,M3.2.0,M11.1.0"}, "timezone"),
    ({"email": "not-an-email"}, "email"),
    ({"name": "   "}, "name"),
    ({"company": ""}, "company"),
    ({"notes": 5}, "notes"),
    ({"plan": "enterprise"}, "plan"),
], ids=["past", "no-offset", "not-a-time", "unknown-zone", "path-zone", "posix-zone",
        "bad-email", "blank-name", "empty-company", "notes-not-text", "unknown-field"])
async def test_bad_input_is_a_422_that_stores_nothing(client, owner_conn, change, field):
    response = await client.post(PATH, json=demo_body(**change))

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in response.text
    assert await bookings(owner_conn) == []


async def test_a_missing_field_is_a_422(client, owner_conn):
    body = demo_body()
    del body["timezone"]
    response = await client.post(PATH, json=body)
    assert response.status_code == 422, response.text
    assert await bookings(owner_conn) == []


async def test_one_address_is_limited_per_day_and_one_ip_per_hour(client, owner_conn):
    email = f"eager-{uuid.uuid4().hex[:8]}@example.com"
    for _ in range(3):
        assert (await client.post(PATH, json=demo_body(email=email))).status_code == 201
    refused = await client.post(PATH, json=demo_body(email=email))
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0

    # 4 attempts from this IP so far (the refused one counts): 6 more reach its 10 an hour.
    for _ in range(6):
        assert (await client.post(PATH, json=demo_body())).status_code == 201
    refused = await client.post(PATH, json=demo_body())
    assert refused.status_code == 429, refused.text
    assert len(await bookings(owner_conn)) == 9


async def test_a_refused_token_keeps_the_request_pending_and_never_shows_the_token(
    app, client, owner_conn, calendly, caplog
):
    calendly.api_token = "the-token-calendly-now-expects"  # ours was revoked
    with caplog.at_level(logging.DEBUG):
        response = await client.post(PATH, json=demo_body())

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    [row] = await bookings(owner_conn)
    assert row["status"] == "pending"
    assert await retry_jobs(owner_conn, response.json()["id"]) == [("todo", 0)]
    assert TOKEN not in caplog.text and TOKEN not in response.text
    cursor = await owner_conn.execute("SELECT last_error FROM demo_bookings")
    [(last_error,)] = await cursor.fetchall()
    assert last_error == "Calendly answered 401: Unauthenticated" and TOKEN not in last_error
