"""The inbox: one row and one handling per event, however often and however concurrently it is
delivered; a failing handler is retried by the job, and its effects leave with the failure."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from psycopg import errors
from pydantic import SecretStr

from pitchlab.db import system_context
from pitchlab.deps import context_of
from pitchlab.jobs.queue import defer_in_transaction
from pitchlab.models import WebhookStatus
from pitchlab.webhooks import service
from pitchlab.webhooks.jobs import MAX_RETRIES
from pitchlab.webhooks.sources.stripe import StripeSource
from tests.auth.helpers import drain_jobs, outbox
from tests.webhooks.helpers import (
    EMAILS,
    HANDLE_JOB,
    RECORDED,
    SECRET,
    SLOW,
    bring_retries_forward,
    deliver,
    handling_jobs,
    inbox_rows,
    sign,
    stripe_event,
)


async def test_a_redelivered_event_changes_nothing_before_or_after_it_is_handled(
    client, app, owner_conn, stripe_secret, handlers
):
    body = stripe_event(RECORDED, "evt_twice")
    first = await deliver(client, body)
    # Stripe signs each delivery afresh: a redelivery carries a new timestamp and signature.
    again = await deliver(client, body, sign(body, timestamp=int(time.time()) - 5))
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert len(await inbox_rows(owner_conn)) == 1
    assert await handling_jobs(owner_conn) == [("todo", 0)]

    await drain_jobs(app)
    [handled] = await inbox_rows(owner_conn)
    late = await deliver(client, body)
    await drain_jobs(app)

    assert late.status_code == 200 and late.json()["duplicate"] is True
    assert await inbox_rows(owner_conn) == [handled]  # handled_at, attempts: all as they were
    assert await handling_jobs(owner_conn) == [("succeeded", 1)]  # one job, run once
    assert handlers.handled == ["evt_twice"]


async def test_ten_concurrent_deliveries_of_one_event_store_and_handle_it_once(
    client, app, owner_conn, stripe_secret, handlers
):
    body = stripe_event(RECORDED, "evt_ten_at_once")
    answers = await asyncio.gather(*(deliver(client, body) for _ in range(10)))

    assert [a.status_code for a in answers] == [200] * 10
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 9
    assert len(await inbox_rows(owner_conn)) == 1
    assert await handling_jobs(owner_conn) == [("todo", 0)]
    await drain_jobs(app)
    assert handlers.handled == ["evt_ten_at_once"]


async def test_a_handler_that_fails_once_is_retried_by_the_job_and_handled_once(
    client, app, owner_conn, stripe_secret, handlers
):
    handlers.failures_left["evt_fails_once"] = 1
    assert (await deliver(client, stripe_event(RECORDED, "evt_fails_once"))).status_code == 200

    await drain_jobs(app)
    [row] = await inbox_rows(owner_conn)
    assert (row["status"], row["attempts"], row["handled_at"]) == ("pending", 1, None)
    assert row["last_error"] == "RuntimeError: handler failed on purpose for evt_fails_once"
    assert await handling_jobs(owner_conn) == [("todo", 1)]  # retried, after a backoff
    due = await (await owner_conn.execute(
        "SELECT scheduled_at > now() FROM procrastinate_jobs WHERE task_name = %s"
        " AND status = 'todo'", (HANDLE_JOB,))).fetchone()
    assert due == (True,)

    await bring_retries_forward(owner_conn)
    await drain_jobs(app)
    [row] = await inbox_rows(owner_conn)
    assert (row["status"], row["attempts"]) == ("processed", 2)
    assert row["handled_at"] is not None
    assert row["last_error"]  # what went wrong on the way stays for the operator
    assert handlers.runs == [("evt_fails_once", 1), ("evt_fails_once", 2)]
    assert handlers.handled == ["evt_fails_once"]
    assert await handling_jobs(owner_conn) == [("succeeded", 2)]


async def test_a_failed_handlers_effects_roll_back_and_its_retry_commits_them_once(
    client, app, owner_url, owner_conn, stripe_secret, handlers
):
    address = "billing-contact@example.com"
    handlers.failures_left["evt_email"] = 1
    body = stripe_event(EMAILS, "evt_email", customer_email=address)
    assert (await deliver(client, body)).status_code == 200

    await drain_jobs(app)
    assert outbox(owner_url, address) == []  # queued by the handler, taken back by its failure
    await bring_retries_forward(owner_conn)
    await drain_jobs(app)
    assert [mail["subject"] for mail in outbox(owner_url, address)] == ["Invoice paid"]
    [row] = await inbox_rows(owner_conn)
    assert (row["status"], row["attempts"]) == ("processed", 2)


async def test_after_the_last_retry_the_event_is_failed_until_it_is_delivered_again(
    client, app, owner_conn, stripe_secret, handlers
):
    runs = MAX_RETRIES + 1
    handlers.failures_left["evt_stubborn"] = runs
    body = stripe_event(RECORDED, "evt_stubborn")
    await deliver(client, body)
    for _ in range(runs):
        await drain_jobs(app)
        await bring_retries_forward(owner_conn)

    [row] = await inbox_rows(owner_conn)
    assert (row["status"], row["attempts"], row["handled_at"]) == ("failed", runs, None)
    assert await handling_jobs(owner_conn) == [("failed", runs)]
    assert len(handlers.runs) == runs and handlers.handled == []

    # Another delivery (Stripe's retry, or "resend" in its dashboard) tries it once more.
    again = await deliver(client, body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    [row] = await inbox_rows(owner_conn)
    assert row["status"] == "pending"
    await drain_jobs(app)
    [row] = await inbox_rows(owner_conn)
    assert (row["status"], row["attempts"]) == ("processed", runs + 1)
    assert handlers.handled == ["evt_stubborn"]


async def test_a_second_job_of_a_handled_event_does_nothing(
    client, app, owner_conn, stripe_secret, handlers
):
    await deliver(client, stripe_event(RECORDED, "evt_handled"))
    await drain_jobs(app)
    [handled] = await inbox_rows(owner_conn)
    async with context_of(app).database.transaction(system_context("test")) as session:
        await defer_in_transaction(session, HANDLE_JOB, inbox_id=str(handled["id"]))
    await drain_jobs(app)
    assert await inbox_rows(owner_conn) == [handled]
    assert handlers.handled == ["evt_handled"]


async def test_two_jobs_of_one_event_at_once_handle_it_once(
    client, app, owner_conn, stripe_secret, handlers
):
    """The second job waits for the first one's row lock, then finds the event handled."""

    async def until_a_second_job_waits_for_the_row() -> None:
        while True:
            waiting = await (await owner_conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE '%%FROM webhook_events%%'"
            )).fetchone()
            if waiting[0]:
                return
            await asyncio.sleep(0.02)

    handlers.someone_waits = until_a_second_job_waits_for_the_row
    await deliver(client, stripe_event(SLOW, "evt_raced"))
    [row] = await inbox_rows(owner_conn)
    async with context_of(app).database.transaction(system_context("test")) as session:
        await defer_in_transaction(session, HANDLE_JOB, inbox_id=str(row["id"]))

    await drain_jobs(app)  # four at a time: both jobs run together
    assert handlers.runs == [("evt_raced", 1)]
    assert handlers.handled == ["evt_raced"]
    assert await handling_jobs(owner_conn) == [("succeeded", 1), ("succeeded", 1)]


async def test_a_delivery_whose_transaction_rolls_back_stores_and_queues_nothing(
    app, owner_conn, handlers
):
    async def jobs_queued() -> int:
        count = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s"
        return (await (await owner_conn.execute(count, (HANDLE_JOB,))).fetchone())[0]

    before = await jobs_queued()
    body = stripe_event(RECORDED, "evt_rolled_back")
    source = StripeSource(SecretStr(SECRET))
    with pytest.raises(RuntimeError, match="after the insert"):
        async with context_of(app).database.transaction() as session:
            receipt = await service.receive(session, source, body, {"Stripe-Signature": sign(body)})
            assert receipt.duplicate is False
            raise RuntimeError("something failed after the insert")
    assert await inbox_rows(owner_conn) == []
    assert await jobs_queued() == before
    await drain_jobs(app)
    assert handlers.runs == []


@pytest.mark.parametrize("status", list(WebhookStatus))
async def test_the_schema_admits_exactly_the_statuses_the_code_knows(owner_conn, status):
    handled = "now()" if status in ("processed", "ignored") else "NULL"
    insert = ("INSERT INTO webhook_events (source, event_id, event_type, raw_body, payload,"
              " status, handled_at) VALUES ('stripe', %s, 't', '', '{}', %s, " + handled + ")")
    await owner_conn.execute(insert, (f"evt_{status}", status))
    with pytest.raises(errors.CheckViolation):
        await owner_conn.execute(insert, ("evt_unknown", status + "_not"))
    # handled_at and the status agree: a final status is handled, any other is not
    wrong = "NULL" if handled == "now()" else "now()"
    with pytest.raises(errors.CheckViolation):
        await owner_conn.execute(insert.replace(handled + ")", wrong + ")"),
                                 (f"evt_{status}_wrong", status))


async def test_the_app_role_reaches_the_inbox_only_in_a_system_context(app_conn, owner_conn):
    await owner_conn.execute(
        "INSERT INTO webhook_events (source, event_id, event_type, raw_body, payload)"
        " VALUES ('stripe', 'evt_private', 't', '', '{}')"
    )
    async with app_conn.transaction():
        assert (await (await app_conn.execute(
            "SELECT count(*) FROM webhook_events")).fetchone()) == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await app_conn.execute(
                "INSERT INTO webhook_events (source, event_id, event_type, raw_body, payload)"
                " VALUES ('stripe', 'evt_forged', 't', '', '{}')"
            )
