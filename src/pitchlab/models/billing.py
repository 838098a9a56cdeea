from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (Index("subscriptions_company_id_idx", "company_id"),)

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    stripe_subscription_id: Mapped[str] = mapped_column(unique=True)
    plan_id: Mapped[str]
    status: Mapped[str]
    current_period_start: Mapped[datetime | None]
    current_period_end: Mapped[datetime | None]
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
    updated_at: Mapped[datetime] = updated_at()
