"""The audit log: one append-only row per security- or money-relevant action."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, uuid_pk
from pitchlab.models.values import AuditAction, ChoiceText, one_of


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        CheckConstraint(one_of("action", AuditAction), name="audit_logs_action_check"),
        Index("audit_logs_company_id_idx", "company_id", text("created_at DESC"), text("id DESC")),
        Index("audit_logs_created_at_idx", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[UUID] = uuid_pk()
    # No foreign keys: an entry outlives the user and the company it names (erasure nulls the
    # user's ids through pitchlab_audit_forget_user, see migration 0009).
    actor_id: Mapped[UUID | None]
    action: Mapped[AuditAction] = mapped_column(ChoiceText(AuditAction))
    target_type: Mapped[str | None]
    target_id: Mapped[str | None]
    company_id: Mapped[UUID | None]
    ip: Mapped[str | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = created_at()
