"""Demo bookings: a prospect's request for a demo, and how its booking with Calendly went."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import CheckConstraint, Index, func, text
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk
from pitchlab.models.values import ChoiceText, DemoBookingStatus, one_of


class DemoBooking(Base):
    __tablename__ = "demo_bookings"
    __table_args__ = (
        CheckConstraint(one_of("status", DemoBookingStatus), name="demo_bookings_status_check"),
        CheckConstraint("attempts >= 0", name="demo_bookings_attempts_check"),
        Index("demo_bookings_invitee_idx", func.lower("email"), "start_time"),
        Index("demo_bookings_invitee_uri_key", "invitee_uri", unique=True,
              postgresql_where=text("invitee_uri IS NOT NULL")),
    )

    id: Mapped[UUID] = uuid_pk()
    name: Mapped[str]
    email: Mapped[str]
    company: Mapped[str]
    start_time: Mapped[datetime]
    timezone: Mapped[str]
    notes: Mapped[str | None]
    status: Mapped[DemoBookingStatus] = mapped_column(
        ChoiceText(DemoBookingStatus), server_default=text(f"'{DemoBookingStatus.PENDING.value}'")
    )
    booking_url: Mapped[str | None]
    invitee_uri: Mapped[str | None]
    event_uri: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
