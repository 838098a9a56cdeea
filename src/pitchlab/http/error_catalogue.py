"""Where named domain errors leave the process: one table for HTTP, one for WebSocket close codes.

Services raise ``DomainError`` subclasses (defined in each domain's ``errors.py``); only this edge
knows statuses. An error class missing here is a bug a test catches (every ``DomainError`` subclass
must have an HTTP status), not a silent 500.

Each domain adds its errors in its own block, below.
"""

from __future__ import annotations

from pitchlab.billing.errors import QuotaExhausted, SubscriptionInactive
from pitchlab.kit.errors import DomainError, EmailNotVerified, Forbidden, NotFound
from pitchlab.practice.errors import (
    ConsentRequired,
    InvalidCursor,
    SessionInProgress,
    SessionNotInProgress,
    UnknownScenario,
)
from pitchlab.webhooks.errors import (
    InvalidPayload,
    InvalidSignature,
    StaleTimestamp,
    WebhookNotConfigured,
)

HTTP_STATUS: dict[type[DomainError], int] = {
    # --- shared (kit.errors; each domain's subclasses inherit the status) ---
    NotFound: 404,
    Forbidden: 403,
    EmailNotVerified: 403,
    # --- auth / users / companies ---
    # --- practice ---
    UnknownScenario: 422,
    SessionInProgress: 409,
    SessionNotInProgress: 409,
    ConsentRequired: 403,
    InvalidCursor: 422,
    # --- billing ---
    QuotaExhausted: 402,
    SubscriptionInactive: 402,
    # --- feedback --- (NoFeedbackForCancelledCall is a NotFound)
    # --- webhooks ---
    # 400 for every refusal, so the provider retries the delivery once the cause is fixed.
    WebhookNotConfigured: 400,
    InvalidSignature: 400,
    StaleTimestamp: 400,
    InvalidPayload: 400,
}

# WebSocket close codes (4000 + the HTTP status, as the contract's stream section lists them).
WEBSOCKET_CLOSE_CODE: dict[type[DomainError], int] = {
    # --- practice ---
}


def http_status_of(error: DomainError | type[DomainError]) -> int:
    error_class = error if isinstance(error, type) else type(error)
    for cls in error_class.__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    raise LookupError(f"{error_class.__name__} has no HTTP status in the error catalogue")


def close_code_of(error: DomainError | type[DomainError]) -> int:
    error_class = error if isinstance(error, type) else type(error)
    for cls in error_class.__mro__:
        if cls in WEBSOCKET_CLOSE_CODE:
            return WEBSOCKET_CLOSE_CODE[cls]
    return 4000 + http_status_of(error)
