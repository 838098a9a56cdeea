"""The webhook inbox: receive a delivery once, handle each event exactly once.

Receiving (the endpoint's transaction): the source verifies the signature over the raw body, the
event is inserted unless ``(source, event_id)`` is already there, and its handling job is queued
in the same transaction, only for a new row. So a stored event always has its job, a rolled-back
delivery has neither, and a duplicate delivery changes nothing.

Handling (the job): the row is locked; if it is not handled yet, the handler registered for its
``(source, event type)`` runs in that same transaction, which also sets ``handled_at``, so the
handler's effects and "handled" commit together or not at all. A failing handler rolls back;
the failure is counted on the row (``attempts``, ``last_error``) and the job is retried with
backoff. An event type no domain handles is marked ``ignored`` (Stripe sends many).

Domains register handlers with ``@handles(source, event_type)`` in a module listed in
``pitchlab.jobs.queue.JOB_MODULES`` (as event subscribers do), e.g. billing for Stripe's
``invoice.paid``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab import metrics as app_metrics
from pitchlab.alerts import service as alerts
from pitchlab.config import Settings
from pitchlab.db import system_context, use_context
from pitchlab.jobs.queue import WorkerResources, defer_in_transaction, load_job_modules
from pitchlab.kit.errors import DomainError
from pitchlab.models import WebhookEvent, WebhookStatus
from pitchlab.observability.logs import get_logger
from pitchlab.providers import Providers
from pitchlab.webhooks import repository
from pitchlab.webhooks.sources import WebhookSource

event_log = get_logger(__name__)

HANDLE_EVENT_JOB = "handle_webhook_event"
# An event failing this many times (about 40 s of retries) is told to the operators, long
# before its last try (hours later, which the queue's out-of-retries alert covers).
KEEPS_FAILING_AFTER_ATTEMPTS = 3
# Refusals that say the delivery is not the provider's (counted apart from malformed ones).
_SIGNATURE_REFUSALS = frozenset({"invalid_signature", "stale_timestamp"})


# --- receiving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    duplicate: bool  # the event was in the inbox already


async def receive(
    session: AsyncSession, source: WebhookSource, body: bytes, headers: Mapping[str, str]
) -> Receipt:
    """Verify and store a delivery, and queue its handling, in ``session``'s transaction."""
    try:
        event = source.verify(body, headers)
    except DomainError as refused:
        # The reason only: headers and body stay out of the log.
        event_log.warning("webhook.refused", source=source.name, code=refused.code)
        signature = refused.code in _SIGNATURE_REFUSALS
        app_metrics.webhook_event(source.name, "rejected_signature" if signature else "rejected")
        raise
    # Platform data, reached before anyone knows which company the event concerns.
    await use_context(session, system_context("webhook_inbox"))
    inbox_id = await repository.insert_if_new(session, source.name, event, body)
    if inbox_id is not None:
        await _queue_handling(session, inbox_id)
        app_metrics.webhook_event(source.name, "received")
        return Receipt(duplicate=False)
    # The provider delivering again an event whose job gave up is the one signal that it is
    # worth another try (Stripe's "resend" button is there for that); any other duplicate is
    # pending or handled and is left alone.
    reopened = await repository.reopen_failed(session, source.name, event.event_id)
    if reopened is not None:
        event_log.warning("webhook.redelivered", source=source.name, event_id=event.event_id,
                       note="delivered again after its handling failed: retrying")
        await _queue_handling(session, reopened)
    app_metrics.webhook_event(source.name, "duplicate")
    return Receipt(duplicate=True)


async def _queue_handling(session: AsyncSession, inbox_id: UUID) -> None:
    await defer_in_transaction(session, HANDLE_EVENT_JOB, inbox_id=str(inbox_id))


# --- handlers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxEvent:
    """What a handler gets: the provider's event as it was verified and stored."""

    inbox_id: UUID
    source: str
    event_id: str
    event_type: str
    payload: dict[str, Any]
    received_at: datetime
    attempt: int  # 1 on the first try


@dataclass(frozen=True)
class HandlingContext:
    """Where a handler works: ``session`` is the transaction that marks the event handled (in a
    system context; flush, never commit), with the process's settings and providers."""

    session: AsyncSession
    settings: Settings
    providers: Providers


WebhookHandler = Callable[[InboxEvent, HandlingContext], Awaitable[None]]

_HANDLERS: dict[tuple[str, str], WebhookHandler] = {}


def handles(source: str, event_type: str) -> Callable[[WebhookHandler], WebhookHandler]:
    """Register the decorated ``handler(event, context)`` for ``event_type`` from ``source``.
    One handler per pair: two domains wanting one event is a design question, not a list."""

    def register(handler: WebhookHandler) -> WebhookHandler:
        key = (source, event_type)
        if key in _HANDLERS:
            raise ValueError(f"{source} webhook {event_type!r} already has a handler")
        _HANDLERS[key] = handler
        return handler

    return register


def handler_for(source: str, event_type: str) -> WebhookHandler | None:
    load_job_modules()  # a handler not yet imported must not make its event "ignored" for good
    return _HANDLERS.get((source, event_type))


# --- handling ----------------------------------------------------------------------------------


async def handle(resources: WorkerResources, inbox_id: UUID, *, last_try: bool) -> None:
    """Handle the event once. A handler's error is recorded on the row and raised again (for the
    job's retry); on the ``last_try`` the event is marked ``failed``."""
    try:
        async with resources.database.transaction(system_context("webhook_handling")) as session:
            row = await repository.lock_unhandled(session, inbox_id)
            if row is None:
                return  # handled already (a second job of one event), or gone
            context = HandlingContext(session, resources.settings, resources.providers)
            outcome = await _dispatch(row, context)
            await repository.mark_handled(session, inbox_id, outcome)
            source = row.source
        event_log.info("webhook.processed", source=row.source, event_type=row.event_type,
                       event_id=row.event_id, inbox_id=str(inbox_id), outcome=str(outcome),
                       attempt=row.attempts + 1)
    except Exception as exc:
        await _record_failure(resources, inbox_id, exc, last_try=last_try)
        raise
    app_metrics.webhook_event(
        source, "processed" if outcome == WebhookStatus.PROCESSED else "ignored")


async def _dispatch(row: WebhookEvent, context: HandlingContext) -> WebhookStatus:
    handler = handler_for(row.source, row.event_type)
    if handler is None:
        return WebhookStatus.IGNORED
    await handler(_inbox_event(row), context)
    await context.session.flush()  # the handler's writes fail here, as the handler's failure
    return WebhookStatus.PROCESSED


def _inbox_event(row: WebhookEvent) -> InboxEvent:
    return InboxEvent(
        inbox_id=row.id, source=row.source, event_id=row.event_id, event_type=row.event_type,
        payload=row.payload, received_at=row.received_at, attempt=row.attempts + 1,
    )


async def _record_failure(
    resources: WorkerResources, inbox_id: UUID, exc: Exception, *, last_try: bool
) -> None:
    error = f"{type(exc).__name__}: {exc}"
    async with resources.database.transaction(system_context("webhook_handling")) as session:
        failed = await repository.record_failure(session, inbox_id, error, gave_up=last_try)
    if failed is None:
        return
    source, attempts = failed
    if last_try:
        app_metrics.webhook_event(source, "failed")
        event_log.error("webhook.failed", inbox_id=str(inbox_id), attempts=attempts,
                        gave_up=True, note="a new delivery of it retries it", exc_info=exc)
    else:
        event_log.warning("webhook.failed", inbox_id=str(inbox_id), attempts=attempts,
                       gave_up=False, error=error)
    if attempts == KEEPS_FAILING_AFTER_ATTEMPTS:
        await alerts.raise_alert(resources.database, resources.settings, alerts.Alert(
            key="webhook_failing",
            summary=f"webhook event {inbox_id} has failed {attempts} times "
                    f"({type(exc).__name__}); still retrying",
        ))
