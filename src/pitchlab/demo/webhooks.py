"""Calendly's invitee events, as the webhook inbox hands them over (sources/calendly.py).

Calendly's body: ``{"event": "invitee.created", "created_at", "payload": {"uri": <invitee URI>,
"email", "name", "status", "event": <scheduled event URI>, "scheduled_event": {"uri",
"start_time", ...}, ...}}``. An invitee that matches no request of ours (booked on Calendly's
page without our form) is left alone.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pitchlab.demo import repository
from pitchlab.models import DemoBooking
from pitchlab.models.values import DemoBookingStatus
from pitchlab.webhooks.service import HandlingContext, InboxEvent, handles

log = logging.getLogger(__name__)


@handles("calendly", "invitee.created")
async def invitee_created(event: InboxEvent, context: HandlingContext) -> None:
    booking = await _booking_of(event, context)
    if booking is None:
        return
    invitee = event.payload["payload"]
    booking.status = DemoBookingStatus.BOOKED
    booking.invitee_uri = invitee["uri"]
    booking.event_uri = _event_uri(invitee) or booking.event_uri
    booking.last_error = None


@handles("calendly", "invitee.canceled")
async def invitee_canceled(event: InboxEvent, context: HandlingContext) -> None:
    booking = await _booking_of(event, context)
    if booking is not None:
        booking.status = DemoBookingStatus.CANCELED


async def _booking_of(event: InboxEvent, context: HandlingContext) -> DemoBooking | None:
    invitee = event.payload["payload"]  # the source checked it is there, with a uri
    email = invitee.get("email")
    booking = await repository.by_invitee(
        context.session, invitee["uri"], email if isinstance(email, str) else "",
        _start_time(invitee),
    )
    if booking is None:
        log.info("calendly %s for an invitee we did not book: nothing to update",
                 event.event_type)
    return booking


def _event_uri(invitee: dict[str, Any]) -> str | None:
    scheduled = invitee.get("scheduled_event")
    uri = scheduled.get("uri") if isinstance(scheduled, dict) else invitee.get("event")
    return uri if isinstance(uri, str) else None


def _start_time(invitee: dict[str, Any]) -> datetime | None:
    scheduled = invitee.get("scheduled_event")
    raw = scheduled.get("start_time") if isinstance(scheduled, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None
