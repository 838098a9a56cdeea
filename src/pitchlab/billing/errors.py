"""What the billing rules refuse (statuses: http/error_catalogue)."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError


class QuotaExhausted(DomainError):
    """No minute left on the company's quota or the user's own cap."""

    code = "quota_exhausted"
    default_message = "No practice minutes are left."


class SubscriptionInactive(DomainError):
    code = "subscription_inactive"
    default_message = "The trial has ended and there is no active subscription."
