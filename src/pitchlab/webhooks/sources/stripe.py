"""Stripe's deliveries: ``Stripe-Signature`` checked by the official SDK over the raw body.

``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=...]``: several
``v1`` values appear while a secret is being rolled, and one match is enough. A signature older
than five minutes is refused, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import stripe
from pydantic import SecretStr

from pitchlab.config import Settings
from pitchlab.kit.errors import DomainError
from pitchlab.webhooks.errors import InvalidPayload, InvalidSignature, StaleTimestamp
from pitchlab.webhooks.sources import VerifiedEvent, signing_secret

TOLERANCE_SECONDS = 300


class StripeSource:
    name: ClassVar[str] = "stripe"
    signature_header: ClassVar[str] = "Stripe-Signature"
    description: ClassVar[str] = (
        "A Stripe event, as Stripe sends it to the endpoint configured in its dashboard. The "
        "`Stripe-Signature` header is checked over the body exactly as received (the secret is "
        "`PITCHLAB_STRIPE_WEBHOOK_SECRET`; unset, every delivery is refused), and a signature "
        f"more than {TOLERANCE_SECONDS} seconds old is refused. The event is stored once per id "
        "and handled by a job: 200 as soon as it is stored, and 200 again, changing nothing, "
        "when the same event is delivered again."
    )

    def __init__(self, secret: SecretStr | None) -> None:
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeSource:
        return cls(settings.stripe_webhook_secret)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> VerifiedEvent:
        secret = signing_secret(self._secret)
        header = headers.get(self.signature_header)
        if not header:
            raise InvalidSignature(f"The {self.signature_header} header is missing.")
        try:
            # Stripe signs the body as UTF-8 text; other bytes cannot carry its signature.
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidSignature() from None
        try:
            stripe.Webhook.construct_event(text, header, secret, TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError:
            raise _refusal(text, header, secret) from None
        except (ValueError, AttributeError, TypeError, RecursionError):
            # Signed, but the SDK cannot make an event of it: not JSON (ValueError), JSON that
            # is no object (AttributeError), a v2 "thin" notification (ValueError).
            raise InvalidPayload() from None
        # Stored as Stripe wrote it, not as the SDK's object: ``to_dict()`` turns decimal
        # strings (a price's ``unit_amount_decimal``) into Decimals, which JSON cannot hold.
        return _verified(json.loads(text))


def _refusal(text: str, header: str, secret: str) -> DomainError:
    """Why the SDK refused: the signature is wrong, or right and stale. The SDK says which only
    in its message's wording, so the signature is checked again without the tolerance."""
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        return InvalidSignature()
    return StaleTimestamp(details={"tolerance_seconds": TOLERANCE_SECONDS})


def _verified(payload: dict[str, Any]) -> VerifiedEvent:
    event_id, event_type = payload.get("id"), payload.get("type")
    if not (isinstance(event_id, str) and event_id and isinstance(event_type, str) and event_type):
        raise InvalidPayload()
    return VerifiedEvent(event_id=event_id, event_type=event_type, payload=payload)


SOURCE = StripeSource
