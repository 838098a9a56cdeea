from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (CheckConstraint("length(name) BETWEEN 1 AND 200"),)

    id: Mapped[UUID] = uuid_pk()
    name: Mapped[str]
    stripe_customer_id: Mapped[str | None] = mapped_column(unique=True)
    trial_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('super_admin', 'admin', 'user')"),
        CheckConstraint(
            "(role = 'super_admin') = (company_id IS NULL)", name="users_company_matches_role"
        ),
        UniqueConstraint("id", "company_id", name="users_id_company_key"),
        Index("users_email_key", func.lower("email"), unique=True),
        Index("users_company_id_idx", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    email: Mapped[str]
    hashed_password: Mapped[str]
    name: Mapped[str | None]
    role: Mapped[str]
    company_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE")
    )
    api_keys: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
