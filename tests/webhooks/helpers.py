"""Stripe deliveries signed the way Stripe signs them, computed here (not by the SDK under test),
test handlers registered in the inbox, and looks at the inbox and the queue as the owner sees
them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pitchlab.notifications.service import queue_email
from pitchlab.notifications.templates import ComposedEmail
from pitchlab.webhooks.service import HandlingContext, InboxEvent, handles

SECRET = "whsec_test_5ecret0nlyThe5erverKnows"
PATH = "/api/webhooks/stripe"
HANDLE_JOB = "handle_webhook_event"


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """``Stripe-Signature``: ``t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def stripe_event(event_type: str, event_id: str | None = None, **obj: object) -> bytes:
    """An event in Stripe's shape (a snapshot event, API version of the account)."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2026-10-28.clover",
            "created": int(time.time()),
            "data": {"object": {"id": f"in_{uuid.uuid4().hex[:24]}", "object": "invoice", **obj}},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        },
        indent=2,
    ).encode()  # Stripe's bodies are pretty-printed: whitespace is signed too


async def deliver(client, body: bytes, signature: str | None = None, **headers: str):
    sent = {"Content-Type": "application/json; charset=utf-8", **headers}
    sent["Stripe-Signature"] = sign(body) if signature is None else signature
    return await client.post(PATH, content=body, headers=sent)


# --- handlers the tests drive --------------------------------------------------------------------

RECORDED = "pitchlab_test.recorded"  # records each run; fails while told to
EMAILS = "pitchlab_test.emails"  # queues an email (a real effect in the handler's transaction)
SLOW = "pitchlab_test.slow"  # holds its event until another job waits for the same row
UNHANDLED = "pitchlab_test.nobody_handles_this"


@dataclass
class HandlerLog:
    runs: list[tuple[str, int]] = field(default_factory=list)  # (event id, attempt)
    handled: list[str] = field(default_factory=list)  # event ids whose run succeeded
    failures_left: dict[str, int] = field(default_factory=dict)  # event id -> runs to fail
    # SLOW: returns once this says another transaction waits on a lock
    someone_waits: Callable[[], Awaitable[None]] | None = None

    def reset(self) -> None:
        self.runs.clear()
        self.handled.clear()
        self.failures_left.clear()
        self.someone_waits = None

    def run(self, event: InboxEvent) -> None:
        self.runs.append((event.event_id, event.attempt))
        if self.failures_left.get(event.event_id, 0) > 0:
            self.failures_left[event.event_id] -= 1
            raise RuntimeError(f"handler failed on purpose for {event.event_id}")


LOG = HandlerLog()


@handles("stripe", RECORDED)
async def _record(event: InboxEvent, context: HandlingContext) -> None:
    LOG.run(event)
    LOG.handled.append(event.event_id)


@handles("stripe", EMAILS)
async def _email_then_maybe_fail(event: InboxEvent, context: HandlingContext) -> None:
    email = ComposedEmail(
        kind="account_exists", subject="Invoice paid", text="Paid.", html="<p>Paid.</p>", links=()
    )
    await queue_email(context.session, event.payload["data"]["object"]["customer_email"], email)
    LOG.run(event)  # after the effect: a failure here must take the email back with it
    LOG.handled.append(event.event_id)


@handles("stripe", SLOW)
async def _hold_until_another_job_waits(event: InboxEvent, context: HandlingContext) -> None:
    LOG.run(event)
    assert LOG.someone_waits is not None
    await asyncio.wait_for(LOG.someone_waits(), timeout=15)
    LOG.handled.append(event.event_id)


# --- what the owner sees -----------------------------------------------------------------------


async def inbox_rows(owner_conn) -> list[dict]:
    cursor = await owner_conn.execute(
        "SELECT id, source, event_id, event_type, raw_body, payload, status, attempts,"
        " last_error, received_at, handled_at FROM webhook_events ORDER BY received_at"
    )
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]


async def handling_jobs(owner_conn, inbox_id: uuid.UUID | None = None) -> list[tuple]:
    """(status, attempts) of the handling jobs, of one inbox row or of every row still there."""
    cursor = await owner_conn.execute(
        "SELECT status::text, attempts FROM procrastinate_jobs WHERE task_name = %s"
        " AND args->>'inbox_id' IN (SELECT id::text FROM webhook_events"
        "                           WHERE %s::uuid IS NULL OR id = %s::uuid) ORDER BY id",
        (HANDLE_JOB, inbox_id, inbox_id),
    )
    return await cursor.fetchall()


async def bring_retries_forward(owner_conn) -> None:
    """procrastinate schedules a retry after its backoff; make it due now instead of waiting."""
    await owner_conn.execute(
        "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = %s"
        " AND status = 'todo'",
        (HANDLE_JOB,),
    )
