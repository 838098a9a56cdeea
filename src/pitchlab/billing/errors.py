"""What the billing rules refuse (statuses: http/error_catalogue)."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden, RetryLater

# How long a client waits before trying a billing call again after Stripe failed.
BILLING_RETRY_AFTER_SECONDS = 30
BILLING_NOT_CONFIGURED_RETRY_AFTER_SECONDS = 3600


class QuotaExhausted(DomainError):
    """No minute left on the company's quota or the user's own cap."""

    code = "quota_exhausted"
    default_message = "No practice minutes are left."


class SubscriptionInactive(DomainError):
    code = "subscription_inactive"
    default_message = "The trial has ended and there is no active subscription."


class BillingNotConfigured(RetryLater):
    """No Stripe key is configured: there is nothing to buy; the trial keeps working. A 503
    like any other carries Retry-After: an hour, as only an operator setting the key ends it."""

    code = "billing_not_configured"
    default_message = "Billing is not configured on this server; the trial keeps working."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retry_after_seconds=BILLING_NOT_CONFIGURED_RETRY_AFTER_SECONDS)


class BillingUnavailable(RetryLater):
    """Stripe could not be reached or failed. Nothing was half-created: the same request again
    is safe (Stripe replays what an idempotency key already created)."""

    code = "billing_unavailable"
    default_message = "The payment provider is unavailable; try again in a minute."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retry_after_seconds=BILLING_RETRY_AFTER_SECONDS)


class UnknownPlan(DomainError):
    code = "unknown_plan"
    default_message = "There is no plan with this id (GET /api/plans lists them)."


class UnknownTopUpPack(DomainError):
    code = "unknown_top_up_pack"
    default_message = "There is no top-up pack with this id (GET /api/billing/top-ups lists them)."


class BillingAdminsOnly(Forbidden):
    """Buying, changing plans, the billing portal and invoices are for the company's admins."""

    default_message = "Only an admin of the company manages its billing."


class CapAboveCompanyTotal(DomainError):
    """A user's cap cannot promise more minutes than the company has."""

    code = "cap_above_company_total"
    default_message = "A user's cap cannot be above the company's total minutes."
