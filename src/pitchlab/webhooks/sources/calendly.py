"""Calendly's deliveries: ``Calendly-Webhook-Signature`` checked over the raw body.

``Calendly-Webhook-Signature: t=<unix time>,v1=<hex HMAC-SHA256(signing key, "<t>." + body)>``.
The signature is compared in constant time, and one older than three minutes is refused, so a
captured delivery cannot be replayed later. Calendly's events carry no id: the id is derived
from the event's name and the invitee's URI, which together identify it (an invitee is created
once and cancelled once), so a redelivery is a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import SecretStr

from pitchlab.config import Settings
from pitchlab.webhooks.errors import InvalidPayload, InvalidSignature, StaleTimestamp
from pitchlab.webhooks.sources import VerifiedEvent, signing_secret

TOLERANCE_SECONDS = 180


class CalendlySource:
    name: ClassVar[str] = "calendly"
    signature_header: ClassVar[str] = "Calendly-Webhook-Signature"
    description: ClassVar[str] = (
        "A Calendly webhook event (invitee.created, invitee.canceled), as Calendly sends it to "
        "the subscription's callback URL. The `Calendly-Webhook-Signature` header is checked "
        "over the body exactly as received (the signing key is "
        "`PITCHLAB_CALENDLY_WEBHOOK_SECRET`; unset, every delivery is refused), and a signature "
        f"more than {TOLERANCE_SECONDS} seconds old is refused. The event is stored once (its "
        "id is its name and the invitee's URI) and handled by a job: 200 as soon as it is "
        "stored, and 200 again, changing nothing, when it is delivered again."
    )

    def __init__(self, secret: SecretStr | None) -> None:
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> CalendlySource:
        return cls(settings.calendly_webhook_secret)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> VerifiedEvent:
        secret = signing_secret(self._secret)
        timestamp, signatures = _parse_header(headers.get(self.signature_header))
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                            hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, given) for given in signatures):
            raise InvalidSignature()
        # Checked only once the signature holds: a forger learns nothing from "stale".
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise StaleTimestamp(details={"tolerance_seconds": TOLERANCE_SECONDS})
        return _verified(body)


def _parse_header(header: str | None) -> tuple[int, list[str]]:
    """``t=...,v1=...`` into the timestamp and the v1 signatures; refused when either is
    missing."""
    if not header:
        raise InvalidSignature("The Calendly-Webhook-Signature header is missing.")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature()
    return timestamp, signatures


def _verified(body: bytes) -> VerifiedEvent:
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidPayload() from None
    if not isinstance(payload, dict):
        raise InvalidPayload()
    event_type, invitee = payload.get("event"), payload.get("payload")
    invitee_uri = invitee.get("uri") if isinstance(invitee, dict) else None
    if not (isinstance(event_type, str) and event_type
            and isinstance(invitee_uri, str) and invitee_uri):
        raise InvalidPayload()
    return VerifiedEvent(event_id=f"{event_type}:{invitee_uri}", event_type=event_type,
                         payload=payload)


SOURCE = CalendlySource
