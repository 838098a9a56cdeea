"""Where named domain errors leave the process: one table for HTTP, one for WebSocket close codes.

Services raise ``DomainError`` subclasses (defined in each domain's ``errors.py``); only this edge
knows statuses. An error class missing here is a bug a test catches (every ``DomainError`` subclass
must have an HTTP status), not a silent 500.

Each domain adds its errors in its own block, below. This module is the one place in ``http`` that
imports domains (their ``errors`` modules): the import-linter cycle contract ignores exactly those
imports, as nothing a domain imports leads back here but ``http.errors``.
"""

from __future__ import annotations

from pitchlab.admin.errors import CompanyRequired, LastAdmin
from pitchlab.analytics.errors import InvalidWindow, LeaderboardDisabled
from pitchlab.assignments.errors import UnassignableScenario, UnknownRep
from pitchlab.auth.errors import (
    AccountDisabled,
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidEmailLink,
    InvalidInvite,
    InvalidToken,
    WeakPassword,
)
from pitchlab.billing.errors import (
    BillingNotConfigured,
    BillingUnavailable,
    CapAboveCompanyTotal,
    QuotaExhausted,
    SubscriptionInactive,
    UnknownPlan,
    UnknownTopUpPack,
)
from pitchlab.kit.errors import (
    DomainError,
    EmailNotVerified,
    Forbidden,
    InvalidCursor,
    NotFound,
    RateLimited,
    Unauthorized,
)
from pitchlab.practice.errors import (
    ConsentRequired,
    ServerShuttingDown,
    SessionInProgress,
    SessionNotInProgress,
    UnknownScenario,
)
from pitchlab.recordings.errors import (
    AllowanceExhausted,
    BadUpload,
    NotAwaitingSpeaker,
    TranscriptionNotConfigured,
    UnknownSpeaker,
    UnsupportedMediaType,
)
from pitchlab.scenarios.errors import BuiltInScenarioReadOnly, ScenarioArchived, UnknownScorecard
from pitchlab.scorecards.errors import UnknownCriterion
from pitchlab.users.errors import InvalidCurrentPassword, InvalidPassword
from pitchlab.webhooks.errors import (
    InvalidPayload,
    InvalidSignature,
    StaleTimestamp,
    WebhookNotConfigured,
)

HTTP_STATUS: dict[type[DomainError], int] = {
    # --- shared (pitchlab.kit.errors; each domain's subclasses inherit the status) ---
    Unauthorized: 401,
    Forbidden: 403,
    EmailNotVerified: 403,
    NotFound: 404,
    InvalidCursor: 422,
    RateLimited: 429,
    # --- auth / users / companies ---
    InvalidCredentials: 401,
    InvalidToken: 401,
    InvalidEmailLink: 400,  # the emailed link: a bad request, not a missing sign-in
    InvalidInvite: 400,
    AccountDisabled: 403,
    EmailTaken: 409,
    WeakPassword: 422,
    InvalidEmail: 422,
    InvalidCurrentPassword: 403,
    # --- admin ---
    CompanyRequired: 422,
    LastAdmin: 409,
    InvalidPassword: 403,
    # --- practice ---
    UnknownScenario: 422,
    SessionInProgress: 409,
    SessionNotInProgress: 409,
    ConsentRequired: 403,
    ServerShuttingDown: 503,
    # --- analytics --- (the refusals by role are Forbidden)
    LeaderboardDisabled: 403,
    InvalidWindow: 422,
    # --- billing ---
    QuotaExhausted: 402,
    SubscriptionInactive: 402,
    BillingNotConfigured: 503,
    BillingUnavailable: 503,
    UnknownPlan: 422,
    UnknownTopUpPack: 422,
    CapAboveCompanyTotal: 422,
    # --- feedback --- (NoFeedbackForCancelledCall is a NotFound)
    # --- scorecards --- (ScorecardNotFound is a NotFound; the refusals by role are Forbidden)
    UnknownCriterion: 422,
    # --- assignments --- (AssignmentNotFound is a NotFound; role refusals are Forbidden)
    UnassignableScenario: 422,
    UnknownRep: 422,
    # --- scenarios --- (ScenarioNotFound is a NotFound; the refusals by role are Forbidden)
    BuiltInScenarioReadOnly: 409,
    ScenarioArchived: 409,
    UnknownScorecard: 422,
    # --- recordings --- (RecordingNotFound is a NotFound; CompanyMembersOnly a Forbidden)
    UnsupportedMediaType: 415,
    BadUpload: 422,
    TranscriptionNotConfigured: 503,
    AllowanceExhausted: 402,
    NotAwaitingSpeaker: 422,
    UnknownSpeaker: 422,
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
