"""The closed sets of words the tables store, defined once.

Schemas, models and the migrations' CHECK constraints all name these, so a status cannot be
spelled two ways. They live with the models (which import no domain) so that every layer above
may use them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Generic, TypedDict, TypeVar

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator


class Choice(StrEnum):
    """A stored word. It reads as its value (``'voice'``, not ``<SessionMode.VOICE: 'voice'>``),
    so that a validation message lists the words a client may send."""

    def __repr__(self) -> str:
        return repr(self.value)


def one_of(column: str, choices: Iterable[StrEnum]) -> str:
    """The SQL condition that keeps ``column`` within ``choices`` (an enum, or some of its
    members): ``mode IN ('voice', 'text')``."""
    words = ", ".join(f"'{choice.value}'" for choice in choices)
    return f"{column} IN ({words})"


C = TypeVar("C", bound=Choice)


class ChoiceText(TypeDecorator[C], Generic[C]):
    """A text column that holds one of ``choices`` (its CHECK constraint guarantees it) and reads
    back as the enum member."""

    impl = Text
    cache_ok = True

    def __init__(self, choices: type[C]) -> None:
        super().__init__()
        self.choices = choices

    def process_bind_param(self, value: Any, _dialect: Dialect) -> str | None:
        return None if value is None else self.choices(value).value

    def process_result_value(self, value: Any, _dialect: Dialect) -> C | None:
        return None if value is None else self.choices(value)


# --- identity -------------------------------------------------------------------------------

class Role(Choice):
    SUPER_ADMIN = "super_admin"  # a platform operator: belongs to no company
    ADMIN = "admin"
    USER = "user"


# The roles an invitation may grant: nobody is invited to operate the platform.
INVITABLE_ROLES = (Role.ADMIN, Role.USER)


class ConsentKind(Choice):
    VOICE_RECORDING = "voice_recording"
    AI_ANALYSIS = "ai_analysis"
    MARKETING = "marketing"
    TERMS = "terms"


# --- notifications --------------------------------------------------------------------------

class OutboxStatus(Choice):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class EmailKind(Choice):
    VERIFY_EMAIL = "verify_email"
    ACCOUNT_EXISTS = "account_exists"
    INVITATION = "invitation"  # an admin invites somebody into their company
    # to a company's admins, about its trial, subscription and minutes (billing/notices.py)
    TRIAL_ENDING = "trial_ending"
    TRIAL_ENDED = "trial_ended"
    PAYMENT_FAILED = "payment_failed"
    SUBSCRIPTION_CANCELLED = "subscription_cancelled"
    MINUTES_LOW = "minutes_low"  # 80% of the period's minutes used
    MINUTES_EXHAUSTED = "minutes_exhausted"
    # to the sales inbox (PITCHLAB_SALES_EMAIL), about a demo request (demo/service.py)
    DEMO_REQUESTED = "demo_requested"
    # to the operators (PITCHLAB_ALERT_EMAIL), about a critical failure (alerts/service.py)
    OPERATIONS_ALERT = "operations_alert"


# --- demo booking ---------------------------------------------------------------------------

class DemoBookingStatus(Choice):
    PENDING = "pending"  # stored; Calendly not reached yet (down, or not configured)
    BOOKED = "booked"  # Calendly created the invitee
    LINK_SENT = "link_sent"  # the slot was taken: a one-off scheduling link instead
    CANCELED = "canceled"  # the invitee cancelled (Calendly's invitee.canceled)


# --- practice -------------------------------------------------------------------------------

class SessionStatus(Choice):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SessionMode(Choice):
    VOICE = "voice"
    TEXT = "text"
    RECORDING = "recording"  # a real call uploaded (pitchlab.recordings), not a practice call


class EndReason(Choice):
    """Why a call ended: who ended it, or what did."""

    ENDED_BY_USER = "ended_by_user"  # the call's own rep (whatever their role)
    ENDED_BY_ADMIN = "ended_by_admin"  # an admin of the company, for someone else's call
    ENDED_BY_SUPER_ADMIN = "ended_by_super_admin"
    IDLE_TIMEOUT = "idle_timeout"  # no stream and no turn for too long: the sweep ended it
    ACCOUNT_DELETED = "account_deleted"  # the rep erased their account mid-call
    SERVER_SHUTDOWN = "server_shutdown"  # the process streaming it was stopped (SIGTERM)


class Speaker(Choice):
    REP = "rep"
    PROSPECT = "prospect"


class Turn(TypedDict):
    """One turn of a transcript, as ``transcripts.turns`` stores it (and the transcript endpoint
    returns it): who spoke, what was said, and when, in ms from the call's start."""

    speaker: Speaker
    text: str
    start_ms: int
    end_ms: int


# --- feedback -------------------------------------------------------------------------------

class FeedbackStatus(Choice):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class SkillStatus(Choice):
    """A skill's verdict in a feedback report: scored 1..5, or not observed (no score)."""

    SCORED = "scored"
    NOT_OBSERVED = "not_observed"


# --- billing --------------------------------------------------------------------------------

class SubscriptionStatus(Choice):
    """Stripe's subscription statuses, as its webhooks report them."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


class MinuteGrantKind(Choice):
    """Why a company's minutes grew: a paid billing period, or a top-up pack bought once."""

    PERIOD = "period"  # an invoice.paid: the plan's minutes for the new period
    TOP_UP = "top_up"  # a paid top-up checkout: its pack's minutes, this period


# --- audit ----------------------------------------------------------------------------------

class AuditAction(Choice):
    """What an audit entry records. New words need a migration (the CHECK lists them)."""

    USER_SIGNED_UP = "user.signed_up"
    USER_LOGGED_IN = "user.logged_in"
    USER_LOGIN_FAILED = "user.login_failed"
    USER_EMAIL_VERIFIED = "user.email_verified"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_API_KEY_CHANGED = "user.api_key_changed"
    USER_DELETED = "user.deleted"
    USER_DATA_EXPORTED = "user.data_exported"
    CONSENT_RECORDED = "consent.recorded"
    SUBSCRIPTION_CHANGED = "subscription.changed"
    # an admin's or operator's change to somebody else's account or company (0012)
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    INVITATION_CREATED = "invitation.created"
    QUOTA_CHANGED = "quota.changed"
    COMPANY_SETTINGS_CHANGED = "company.settings_changed"
    COMPANY_DATA_EXPORTED = "company.data_exported"
    COMPANY_DELETED = "company.deleted"
    # an admin's change to the company's scorecards (0014)
    SCORECARD_CREATED = "scorecard.created"
    SCORECARD_CHANGED = "scorecard.changed"
    # an admin's change to the company's scenarios and assignments (0015)
    SCENARIO_CREATED = "scenario.created"
    SCENARIO_CHANGED = "scenario.changed"
    SCENARIO_ARCHIVED = "scenario.archived"
    ASSIGNMENT_CREATED = "assignment.created"
    ASSIGNMENT_WITHDRAWN = "assignment.withdrawn"
    RECORDING_UPLOADED = "recording.uploaded"
    RECORDING_DELETED = "recording.deleted"


class Methodology(Choice):
    """What a scorecard was built from: a sales methodology's template, or nothing (custom)."""

    CUSTOM = "custom"
    MEDDIC = "meddic"
    SPIN = "spin"
    BANT = "bant"
    CHALLENGER = "challenger"
