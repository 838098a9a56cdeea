from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, Index, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, uuid_pk
from pitchlab.models.values import ChoiceText, EmailKind, OutboxStatus, one_of


class OutboxEmail(Base):
    """An email as it was composed, and how its delivery went."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        CheckConstraint(one_of("status", OutboxStatus)),
        Index("email_outbox_to_address_idx", func.lower("to_address"), text("created_at DESC")),
        Index(
            "email_outbox_pending_idx", "created_at", postgresql_where=text("status = 'pending'")
        ),
    )

    id: Mapped[UUID] = uuid_pk()
    kind: Mapped[EmailKind] = mapped_column(ChoiceText(EmailKind))
    to_address: Mapped[str]
    subject: Mapped[str]
    text_body: Mapped[str]
    html_body: Mapped[str]
    links: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'"))
    status: Mapped[OutboxStatus] = mapped_column(
        ChoiceText(OutboxStatus), server_default=text(f"'{OutboxStatus.PENDING.value}'")
    )
    provider: Mapped[str | None]
    provider_message_id: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()
    sent_at: Mapped[datetime | None]
