from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, validates

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk
from pitchlab.models.values import INVITABLE_ROLES, ChoiceText, ConsentKind, Role, one_of
from pitchlab.security.emails import canonical_email


class Company(Base):
    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("length(name) BETWEEN 1 AND 200"),
        CheckConstraint("retention_days BETWEEN 1 AND 3650", name="companies_retention_days_check"),
    )

    id: Mapped[UUID] = uuid_pk()
    name: Mapped[str]
    stripe_customer_id: Mapped[str | None] = mapped_column(unique=True)
    trial_expires_at: Mapped[datetime | None]
    # Days a call's transcript and feedback are kept; NULL: the setting PITCHLAB_RETENTION_DAYS.
    retention_days: Mapped[int | None]
    leaderboard_enabled: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", Role)),
        CheckConstraint(
            "(role = 'super_admin') = (company_id IS NULL)", name="users_company_matches_role"
        ),
        UniqueConstraint("id", "company_id", name="users_id_company_key"),
        Index("users_email_key", func.lower("email"), unique=True),
        Index("users_email_canonical_key", "email_canonical", unique=True),
        Index("users_company_id_idx", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    email: Mapped[str]
    hashed_password: Mapped[str]
    name: Mapped[str | None]
    role: Mapped[Role] = mapped_column(ChoiceText(Role))
    company_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE")
    )
    api_keys: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    email_verified_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    # Every access token carries the version it was issued under; bumping it ends them all.
    token_version: Mapped[int] = mapped_column(server_default=text("0"), default=0)
    # The address as accounts are compared (security/emails.py); set whenever email is. NULL only
    # for rows written by raw SQL, or lookalikes of an older account found by migration 0006.
    email_canonical: Mapped[str | None]

    @validates("email")
    def _keep_canonical(self, _key: str, email: str) -> str:
        self.email_canonical = canonical_email(email)
        return email


class EmailVerificationToken(Base):
    __tablename__ = "email_verification_tokens"
    __table_args__ = (Index("email_verification_tokens_user_id_idx", "user_id"),)

    id: Mapped[UUID] = uuid_pk()
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("refresh_tokens_user_id_idx", "user_id"),
        Index("refresh_tokens_family_id_idx", "family_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    family_id: Mapped[UUID]
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The token issued from this one once spent, sealed for the reuse grace (auth/service.py).
    successor_sealed: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(one_of("role", INVITABLE_ROLES)),
        Index("invitations_company_id_idx", "company_id"),
        Index("invitations_invited_by_idx", "invited_by"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    email: Mapped[str]
    role: Mapped[Role] = mapped_column(ChoiceText(Role))
    token_hash: Mapped[str] = mapped_column(unique=True)
    invited_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(one_of("kind", ConsentKind)),
        CheckConstraint("length(version) BETWEEN 1 AND 50"),
        Index("consents_user_id_kind_idx", "user_id", "kind", text("created_at DESC")),
        Index("consents_company_id_idx", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    company_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE")
    )
    kind: Mapped[ConsentKind] = mapped_column(ChoiceText(ConsentKind))
    granted: Mapped[bool]
    version: Mapped[str]
    ip: Mapped[str | None]
    user_agent: Mapped[str | None]
    created_at: Mapped[datetime] = created_at()
