"""SQL for the webhook inbox. Every statement is one conditional write or a locking read, so
concurrent deliveries and jobs of one event settle in PostgreSQL, not in Python."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import WebhookEvent, WebhookStatus
from pitchlab.webhooks.sources import VerifiedEvent

# What the inbox keeps of a handler's error: enough for an operator, never a whole traceback.
MAX_ERROR_CHARS = 500


async def insert_if_new(
    session: AsyncSession, source: str, event: VerifiedEvent, raw_body: bytes
) -> UUID | None:
    """Store the event; its id, or None when ``(source, event_id)`` was already there. A
    concurrent delivery of the same event waits for this one's transaction, then finds it."""
    result = await session.execute(
        insert(WebhookEvent)
        .values(
            source=source, event_id=event.event_id, event_type=event.event_type,
            raw_body=raw_body, payload=event.payload,
        )
        .on_conflict_do_nothing(index_elements=[WebhookEvent.source, WebhookEvent.event_id])
        .returning(WebhookEvent.id)
    )
    return result.scalar_one_or_none()


async def reopen_failed(session: AsyncSession, source: str, event_id: str) -> UUID | None:
    """Put an event whose job gave up back to pending; its id, or None for any other event."""
    result = await session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.source == source, WebhookEvent.event_id == event_id,
            WebhookEvent.status == WebhookStatus.FAILED,
        )
        .values(status=WebhookStatus.PENDING)
        .returning(WebhookEvent.id)
    )
    return result.scalar_one_or_none()


async def lock_unhandled(session: AsyncSession, inbox_id: UUID) -> WebhookEvent | None:
    """The event, locked until the transaction ends, if it is not handled yet. A second job of
    the same event waits here and then finds it handled."""
    result = await session.execute(
        select(WebhookEvent)
        .where(WebhookEvent.id == inbox_id, WebhookEvent.handled_at.is_(None))
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def mark_handled(session: AsyncSession, inbox_id: UUID, status: WebhookStatus) -> None:
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == inbox_id)
        .values(status=status, handled_at=func.now(), attempts=WebhookEvent.attempts + 1)
    )


async def record_failure(
    session: AsyncSession, inbox_id: UUID, error: str, *, gave_up: bool
) -> tuple[str, int] | None:
    """Count a failed attempt and keep its error; the event's source and its attempts so far, or
    None when the event was handled meanwhile (or is gone)."""
    values: dict[str, object] = {
        "attempts": WebhookEvent.attempts + 1, "last_error": error[:MAX_ERROR_CHARS],
    }
    if gave_up:
        values["status"] = WebhookStatus.FAILED
    result = await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == inbox_id, WebhookEvent.handled_at.is_(None))
        .values(values)
        .returning(WebhookEvent.source, WebhookEvent.attempts)
    )
    row = result.one_or_none()
    return None if row is None else (row.source, row.attempts)
