from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk
from pitchlab.models.values import ChoiceText, MinuteGrantKind, SubscriptionStatus, one_of


class Subscription(Base):
    """A company's Stripe subscription as Stripe last told us (a mirror, never the truth: each
    webhook re-reads the subscription from Stripe and overwrites this row)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(one_of("status", SubscriptionStatus), name="subscriptions_status_check"),
        Index("subscriptions_company_id_idx", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    stripe_subscription_id: Mapped[str] = mapped_column(unique=True)
    plan_id: Mapped[str]
    status: Mapped[SubscriptionStatus] = mapped_column(ChoiceText(SubscriptionStatus))
    current_period_start: Mapped[datetime | None]
    current_period_end: Mapped[datetime | None]
    stripe_price_id: Mapped[str | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(server_default=text("false"))
    canceled_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    trial_end: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class UsageRecord(Base):
    """One row per session: the minutes it was billed. The ledger behind ``used_minutes``."""

    __tablename__ = "usage_records"
    __table_args__ = (
        CheckConstraint("minutes_used >= 0"),
        Index("usage_records_user_id_idx", "user_id"),
        Index("usage_records_company_id_idx", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    user_id: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    session_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL"), unique=True
    )
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    minutes_used: Mapped[int]
    created_at: Mapped[datetime] = created_at()


class MinuteQuota(Base):
    """The company's minutes (``user_id`` NULL) or one user's cap within them."""

    __tablename__ = "minute_quotas"
    __table_args__ = (
        CheckConstraint("total_minutes >= 0"),
        CheckConstraint("used_minutes >= 0"),
        ForeignKeyConstraint(
            ["user_id", "company_id"], ["users.id", "users.company_id"],
            name="minute_quotas_user_company_fkey", ondelete="CASCADE",
        ),
        Index("minute_quotas_company_key", "company_id", unique=True,
              postgresql_where=text("user_id IS NULL")),
        Index("minute_quotas_user_key", "user_id", unique=True,
              postgresql_where=text("user_id IS NOT NULL")),
        Index("minute_quotas_company_id_idx", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[UUID | None]
    total_minutes: Mapped[int]
    used_minutes: Mapped[int] = mapped_column(server_default="0")
    # When the period that ``used_minutes`` counts in began (the trial's start, then each paid
    # invoice's period): notices such as "80% used" are sent once per period.
    period_start: Mapped[datetime] = mapped_column(server_default=text("now()"))
    updated_at: Mapped[datetime] = updated_at()


class MinuteGrant(Base):
    """Minutes a payment gave a company, once per Stripe object: a paid invoice (the plan's
    minutes for its period) or a paid top-up checkout session (a pack's minutes)."""

    __tablename__ = "minute_grants"
    __table_args__ = (
        CheckConstraint(one_of("kind", MinuteGrantKind), name="minute_grants_kind_check"),
        CheckConstraint("minutes >= 0", name="minute_grants_minutes_check"),
        Index("minute_grants_company_id_idx", "company_id", "period_start"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[MinuteGrantKind] = mapped_column(ChoiceText(MinuteGrantKind))
    # The invoice (in_...) or checkout session (cs_...) that paid for it: one grant each.
    stripe_object_id: Mapped[str] = mapped_column(unique=True)
    item_id: Mapped[str]  # the plan or the top-up pack
    minutes: Mapped[int]
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class BillingNotice(Base):
    """An email sent to a company's admins about its billing, once per ``(kind, occasion)``:
    the occasion names what it is about (a trial's end, an invoice, a period)."""

    __tablename__ = "billing_notices"
    __table_args__ = (
        UniqueConstraint("company_id", "kind", "occasion", name="billing_notices_once_key"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    kind: Mapped[str]
    occasion: Mapped[str]
    created_at: Mapped[datetime] = created_at()
