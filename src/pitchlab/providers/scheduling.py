"""Scheduling demos: Calendly's REST API v2, or nothing booked (no ``PITCHLAB_CALENDLY_API_TOKEN``).

Booking asks Calendly to create the invitee on the configured event type at the chosen time
(``POST /invitees``). When Calendly refuses the time (``already_filled``: the slot is taken, or
any other refusal of the request itself) the prospect gets a one-off scheduling link for the
event type instead (``POST /scheduling_links``), to pick another time on Calendly's page.

Only ``SchedulerUnavailableError`` means "try again later": Calendly could not be reached,
answered 5xx or 429, or refused our token. The token never appears in an error or a log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from pitchlab.metrics import provider_call

log = logging.getLogger(__name__)

# Calendly's own refusals of a request (its body says why); anything else is an outage for us.
REFUSAL_STATUSES = frozenset({400, 409, 422})


class SchedulerUnavailableError(Exception):
    """Calendly could not book or refuse the request now; a later attempt may succeed."""


class SchedulerNotConfiguredError(Exception):
    """No Calendly token: nothing can be booked, the sales team follows up by email."""


@dataclass(frozen=True)
class DemoRequest:
    name: str
    email: str
    start_time: datetime
    timezone: str


@dataclass(frozen=True)
class Booked:
    """Calendly created the invitee: its URI and its scheduled event's."""

    invitee_uri: str
    event_uri: str | None


@dataclass(frozen=True)
class LinkOffered:
    """The time was refused (``reason``, e.g. ``already_filled``); ``booking_url`` lets the
    prospect pick another."""

    booking_url: str
    reason: str


BookingOutcome = Booked | LinkOffered


class DemoScheduler(Protocol):
    async def book(self, request: DemoRequest) -> BookingOutcome:
        """Book ``request``, or offer a link. Raises ``SchedulerUnavailableError`` (retry later)
        or ``SchedulerNotConfiguredError``."""
        ...


class SchedulingOff:
    """No Calendly token: every request stays pending for the sales team."""

    async def book(self, request: DemoRequest) -> BookingOutcome:  # noqa: ARG002 (the Protocol's)
        raise SchedulerNotConfiguredError()


class CalendlyScheduler:
    def __init__(self, *, base_url: str, api_token: str, event_type: str,
                 timeout_seconds: float = 10.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._api_token = api_token
        self._event_type = event_type
        self._timeout = timeout_seconds

    async def book(self, request: DemoRequest) -> BookingOutcome:
        body = {
            "event_type": self._event_type,
            "start_time": _utc_iso(request.start_time),
            "invitee": {"name": request.name, "email": request.email,
                        "timezone": request.timezone},
        }
        status, answer = await self._post("/invitees", body)
        if status in REFUSAL_STATUSES:
            return await self._offer_link(_refusal_reason(answer))
        resource = _resource(status, answer)
        uri = resource.get("uri")
        if not isinstance(uri, str) or not uri:
            raise SchedulerUnavailableError("Calendly's invitee has no uri")
        event = resource.get("event")
        return Booked(invitee_uri=uri, event_uri=event if isinstance(event, str) else None)

    async def _offer_link(self, reason: str) -> LinkOffered:
        body = {"max_event_count": 1, "owner": self._event_type, "owner_type": "EventType"}
        status, answer = await self._post("/scheduling_links", body)
        url = _resource(status, answer).get("booking_url")
        if not isinstance(url, str) or not url:
            raise SchedulerUnavailableError("Calendly's scheduling link has no booking_url")
        return LinkOffered(booking_url=url, reason=reason)

    async def _post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self._api_token}"}
        # Raised inside provider_call, so that an answer that is an outage (5xx, 429, our token
        # refused) counts as a failed call on /metrics and toward the alert, as a refused
        # connection does; Calendly's refusals of the request itself are answers, not failures.
        async with provider_call("calendly"):
            try:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    response = await client.post(f"{self._base_url}{path}", json=body,
                                                 headers=headers)
            except httpx.HTTPError as failure:
                # The exception's type only: its text may quote the request.
                raise SchedulerUnavailableError(
                    f"Calendly unreachable ({type(failure).__name__})") from None
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if response.status_code not in REFUSAL_STATUSES:
                _resource(response.status_code, answer)  # raises on an outage
        return response.status_code, answer


def _resource(status: int, answer: Any) -> dict[str, Any]:
    """The ``resource`` of a successful answer; any other answer is an outage for us (401/403:
    our token is wrong, which a retry after the operator fixes it cures)."""
    if status not in (200, 201) or not isinstance(answer, dict):
        raise SchedulerUnavailableError(f"Calendly answered {status}: {_title(answer)}")
    resource = answer.get("resource")
    if not isinstance(resource, dict):
        raise SchedulerUnavailableError("Calendly's answer has no resource")
    return resource


def _title(answer: Any) -> str:
    return str(answer.get("title", "")) if isinstance(answer, dict) else ""


def _refusal_reason(answer: Any) -> str:
    """Calendly's error body: ``{title, message, details: [{parameter, message, code?}]}``; the
    most specific word it gives (``already_filled``), else its title."""
    if isinstance(answer, dict):
        for detail in answer.get("details") or []:
            if isinstance(detail, dict):
                word = detail.get("code") or detail.get("message")
                if isinstance(word, str) and word:
                    return word
        return _title(answer) or "refused"
    return "refused"


def _utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
