"""Why a webhook delivery was refused. Every source (Stripe, Calendly) raises these; each is a 400,
after which the provider retries the delivery (so a fixed configuration recovers what it missed).
Nothing is stored for a refused delivery."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError


class WebhookNotConfigured(DomainError):
    """No signing secret is set for the source: every delivery is refused, none is trusted."""

    code = "webhook_not_configured"
    default_message = (
        "Webhooks from this provider are not accepted: no signing secret is configured."
    )


class InvalidSignature(DomainError):
    """The signature header is missing, unreadable, or signs another body or secret."""

    code = "invalid_signature"
    default_message = "The webhook signature is missing or does not match the body."


class StaleTimestamp(DomainError):
    """The signature is right but older than the source's tolerance: a replay, or a clock off."""

    code = "stale_timestamp"
    default_message = "The webhook signature is too old; a delivery cannot be replayed."


class InvalidPayload(DomainError):
    """The body is correctly signed but is not a JSON event the source describes."""

    code = "invalid_payload"
    default_message = "The webhook body is not a JSON event with an id and a type."
