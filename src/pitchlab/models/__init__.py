"""SQLAlchemy tables. The migrations own the schema; these classes mirror it for queries."""

from pitchlab.models.alerts import AlertState
from pitchlab.models.audit import AuditLog
from pitchlab.models.base import Base
from pitchlab.models.billing import (
    BillingNotice,
    MinuteGrant,
    MinuteQuota,
    Subscription,
    UsageRecord,
)
from pitchlab.models.coaching import Assignment, CompanyScenario
from pitchlab.models.demo import DemoBooking
from pitchlab.models.email import OutboxEmail
from pitchlab.models.identity import (
    Company,
    Consent,
    EmailVerificationToken,
    Invitation,
    RefreshToken,
    User,
)
from pitchlab.models.practice import Feedback, PracticeSession, StreamTicket, Transcript
from pitchlab.models.recordings import Recording, RecordingUsage
from pitchlab.models.scorecards import Scorecard, ScorecardVersion
from pitchlab.models.webhooks import WebhookEvent, WebhookStatus

__all__ = [
    "AlertState",
    "Assignment",
    "AuditLog",
    "Base",
    "BillingNotice",
    "Company",
    "CompanyScenario",
    "Consent",
    "DemoBooking",
    "EmailVerificationToken",
    "Feedback",
    "Invitation",
    "MinuteGrant",
    "MinuteQuota",
    "OutboxEmail",
    "PracticeSession",
    "Recording",
    "RecordingUsage",
    "RefreshToken",
    "Scorecard",
    "ScorecardVersion",
    "StreamTicket",
    "Subscription",
    "Transcript",
    "UsageRecord",
    "User",
    "WebhookEvent",
    "WebhookStatus",
]
