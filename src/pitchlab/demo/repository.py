"""The demo_bookings table. Platform data: every call runs in a system context (the caller's)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import DemoBooking
from pitchlab.models.values import DemoBookingStatus


async def add(session: AsyncSession, booking: DemoBooking) -> DemoBooking:
    session.add(booking)
    await session.flush()
    await session.refresh(booking)
    return booking


async def locked(session: AsyncSession, booking_id: UUID) -> DemoBooking | None:
    query = select(DemoBooking).where(DemoBooking.id == booking_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def by_invitee(
    session: AsyncSession, invitee_uri: str, email: str, start_time: datetime | None
) -> DemoBooking | None:
    """The booking Calendly's invitee is about: by the invitee URI we stored when we booked it,
    else (booked on Calendly's page, through our link) the latest not-cancelled request of that
    email for that start time."""
    query = select(DemoBooking).where(DemoBooking.invitee_uri == invitee_uri).with_for_update()
    found = (await session.execute(query)).scalar_one_or_none()
    if found is not None or start_time is None:
        return found
    query = (
        select(DemoBooking)
        .where(func.lower(DemoBooking.email) == email.lower(),
               DemoBooking.start_time == start_time,
               DemoBooking.status != DemoBookingStatus.CANCELED)
        .order_by(DemoBooking.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()
