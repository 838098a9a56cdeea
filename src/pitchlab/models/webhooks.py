"""The webhook inbox: every delivery from a provider that calls us, kept once per event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, LargeBinary, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, uuid_pk


class WebhookStatus(StrEnum):
    """Where an inbox event stands. ``processed`` and ``ignored`` are final (``handled_at`` set);
    ``failed`` means its job gave up, until the provider delivers the event again."""

    PENDING = "pending"
    PROCESSED = "processed"  # a handler ran and its effects committed
    IGNORED = "ignored"  # no handler for this event type: nothing to do, ever
    FAILED = "failed"


HANDLED_STATUSES = (WebhookStatus.PROCESSED, WebhookStatus.IGNORED)


def _quoted(values: tuple[WebhookStatus, ...] | type[WebhookStatus]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("source", "event_id", name="webhook_events_source_event_id_key"),
        CheckConstraint(
            f"status IN ({_quoted(WebhookStatus)})", name="webhook_events_status_check"
        ),
        CheckConstraint(
            f"(handled_at IS NOT NULL) = (status IN ({_quoted(HANDLED_STATUSES)}))",
            name="webhook_events_handled_check",
        ),
        CheckConstraint("attempts >= 0", name="webhook_events_attempts_check"),
    )

    id: Mapped[UUID] = uuid_pk()
    source: Mapped[str]  # "stripe", "calendly": the provider that signed it
    event_id: Mapped[str]  # the provider's own id, unique per source
    event_type: Mapped[str]
    raw_body: Mapped[bytes] = mapped_column(LargeBinary)  # the bytes that were signed
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(server_default=text(f"'{WebhookStatus.PENDING}'"))
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None]
    received_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    handled_at: Mapped[datetime | None]
