"""Calendly down, four ways: a demo request is still answered 201 ``pending`` (stored, sales
told), the booking job retries with a backoff and books it once Calendly recovers, exactly once.
/metrics counts each failed call."""

from __future__ import annotations

import json

import pytest

from pitchlab.providers.scheduling import CalendlyScheduler
from tests.auth.helpers import outbox
from tests.demo.conftest import SALES, TOKEN
from tests.demo.test_demo_booking import PATH, bookings, demo_body
from tests.fakes.calendly_server import FakeCalendly
from tests.fakes.misbehave import FAULTS, misbehaving
from tests.faults.conftest import bring_forward, drain_counted, job_attempts, provider_errors, using

BOOK_DEMO = "book_demo"


@pytest.fixture
async def calendly(app):
    fake = FakeCalendly(api_token=TOKEN)
    async with misbehaving(fake.app()) as switch:
        scheduler = CalendlyScheduler(base_url=switch.base_url, api_token=TOKEN,
                                      event_type=fake.event_type, timeout_seconds=0.5)
        with using(app, scheduling=scheduler, settings={"sales_email": SALES}):
            yield fake, switch


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_demo_request_is_kept_pending_and_booked_by_the_retry_after_recovery(
    app, client, owner_url, owner_conn, calendly, fault
):
    fake, switch = calendly
    before = await provider_errors(client, "calendly")
    await switch.set(fault)

    response = await client.post(PATH, json=demo_body())

    assert response.status_code == 201, response.text  # a clear answer, not a 5xx
    answer = response.json()
    assert answer["status"] == "pending" and answer["booking_url"] is None
    [row] = await bookings(owner_conn)
    assert str(row["id"]) == answer["id"] and row["status"] == "pending"
    assert len(outbox(owner_url, SALES)) == 1  # sales is told at once either way
    assert await provider_errors(client, "calendly") == before + 1

    # The retry job's first try, while Calendly is still down: it fails again and is scheduled
    # again, later, with a backoff (bring_forward checks the schedule).
    mine = {"booking_id": answer["id"]}
    assert await job_attempts(owner_conn, BOOK_DEMO, **mine) == [0]
    await drain_counted(app)
    [row] = await bookings(owner_conn)
    assert row["status"] == "pending" and row["attempts"] == 2
    assert await job_attempts(owner_conn, BOOK_DEMO, **mine) == [1]
    assert await provider_errors(client, "calendly") == before + 2
    assert fake.invitees == []

    await switch.set(None)
    assert await bring_forward(owner_conn, BOOK_DEMO, **mine) == 1
    await drain_counted(app)

    [row] = await bookings(owner_conn)
    [sent] = fake.invitees
    assert row["status"] == "booked" and row["attempts"] == 3
    assert row["invitee_uri"] == sent["resource"]["uri"]
    assert len(outbox(owner_url, SALES)) == 1  # and not told twice
    cursor = await owner_conn.execute(
        "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'"
        " AND args @> %s::jsonb", (BOOK_DEMO, json.dumps(mine)))
    assert (await cursor.fetchone())[0] == 0  # nothing left to retry
