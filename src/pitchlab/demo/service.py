"""Demo requests: stored first, then booked with Calendly.

The request and the sales inbox's email are committed before Calendly is asked, so an outage or
a crash while asking loses nothing. Calendly's answer is recorded in a second transaction: booked,
a scheduling link (the time was taken), or still pending with a job queued to retry with backoff
(Calendly down). Without a Calendly token the request stays pending and the sales team follows up
from the email.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.config import Settings
from pitchlab.db import Database, system_context
from pitchlab.demo import repository
from pitchlab.demo.schemas import DemoBookingIn
from pitchlab.jobs.queue import defer_in_transaction
from pitchlab.kit.errors import RateLimited
from pitchlab.models import DemoBooking
from pitchlab.models.values import DemoBookingStatus
from pitchlab.notifications.service import queue_email
from pitchlab.notifications.templates import demo_requested
from pitchlab.providers.scheduling import (
    Booked,
    BookingOutcome,
    DemoRequest,
    DemoScheduler,
    SchedulerNotConfiguredError,
    SchedulerUnavailableError,
)
from pitchlab.security.ratelimit import LimitExceeded, RateLimiter

log = logging.getLogger(__name__)

BOOK_DEMO_JOB = "book_demo"
CONTEXT = "demo_booking"


@dataclass(frozen=True)
class BookingResult:
    id: UUID
    status: Literal["booked", "pending"]  # the API's word
    booking_url: str | None


async def count_attempt(limiter: RateLimiter, *, ip: str, email: str) -> None:
    try:
        await limiter.check("demo_booking", ip=ip, email=email)
    except LimitExceeded as exceeded:
        raise RateLimited(retry_after_seconds=exceeded.retry_after_seconds) from None


async def request_demo(
    database: Database, settings: Settings, scheduler: DemoScheduler, body: DemoBookingIn
) -> BookingResult:
    booking_id = await _store(database, settings, body)
    try:
        outcome = await scheduler.book(_demo_request(body))
    except SchedulerNotConfiguredError:
        return BookingResult(booking_id, "pending", None)
    except SchedulerUnavailableError as failure:
        log.warning("demo booking %s: Calendly unavailable (%s); retrying later",
                    booking_id, failure)
        await _queue_retry(database, booking_id, str(failure))
        return BookingResult(booking_id, "pending", None)
    async with database.transaction(system_context(CONTEXT)) as session:
        booking = await repository.locked(session, booking_id)
        assert booking is not None  # committed above; nothing deletes demo bookings
        _record(booking, outcome)
    return _result(booking)


async def _store(database: Database, settings: Settings, body: DemoBookingIn) -> UUID:
    async with database.transaction(system_context(CONTEXT)) as session:
        booking = await repository.add(session, DemoBooking(
            name=body.name, email=str(body.email), company=body.company,
            start_time=body.start_time, timezone=body.timezone, notes=body.notes,
        ))
        await _tell_sales(session, settings, booking)
        return booking.id


async def _tell_sales(session: AsyncSession, settings: Settings, booking: DemoBooking) -> None:
    if not settings.sales_email:
        return
    await queue_email(session, settings.sales_email, demo_requested(
        name=booking.name, email=booking.email, company=booking.company,
        start_time=booking.start_time, timezone=booking.timezone, notes=booking.notes,
    ))


async def _queue_retry(database: Database, booking_id: UUID, reason: str) -> None:
    async with database.transaction(system_context(CONTEXT)) as session:
        booking = await repository.locked(session, booking_id)
        assert booking is not None
        booking.attempts += 1
        booking.last_error = reason
        # One retry job per booking: a second would only race the first to Calendly.
        await defer_in_transaction(session, BOOK_DEMO_JOB, queueing_lock=f"demo:{booking_id}",
                                   booking_id=str(booking_id))


def _demo_request(source: DemoBookingIn | DemoBooking) -> DemoRequest:
    return DemoRequest(name=source.name, email=str(source.email), start_time=source.start_time,
                       timezone=source.timezone)


def _record(booking: DemoBooking, outcome: BookingOutcome) -> None:
    booking.last_error = None
    if isinstance(outcome, Booked):
        booking.status = DemoBookingStatus.BOOKED
        booking.invitee_uri = outcome.invitee_uri
        booking.event_uri = outcome.event_uri
    else:
        booking.status = DemoBookingStatus.LINK_SENT
        booking.booking_url = outcome.booking_url
        booking.last_error = outcome.reason  # why Calendly refused the time


def _result(booking: DemoBooking) -> BookingResult:
    if booking.status == DemoBookingStatus.BOOKED:
        return BookingResult(booking.id, "booked", booking.booking_url)
    return BookingResult(booking.id, "pending", booking.booking_url)


# --- the retry job -----------------------------------------------------------------------------

async def retry_booking(database: Database, scheduler: DemoScheduler, booking_id: UUID) -> None:
    """Ask Calendly again for a pending booking. Raises ``SchedulerUnavailableError`` while it is
    still down, for the job to retry with backoff; the attempt is counted on the row all the
    same. The row is locked meanwhile, so two jobs cannot book it twice."""
    failure: SchedulerUnavailableError | None = None
    async with database.transaction(system_context(CONTEXT)) as session:
        booking = await repository.locked(session, booking_id)
        if booking is None or booking.status != DemoBookingStatus.PENDING:
            return  # booked meanwhile (a webhook, an earlier job): nothing to do
        booking.attempts += 1
        try:
            _record(booking, await scheduler.book(_demo_request(booking)))
        except SchedulerNotConfiguredError:
            log.warning("demo booking %s: Calendly is no longer configured", booking_id)
        except SchedulerUnavailableError as unavailable:
            booking.last_error = str(unavailable)
            failure = unavailable
    if failure is not None:
        raise failure
