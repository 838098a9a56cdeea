from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, uuid_pk


class PracticeSession(Base):
    """A role-play call. Named apart from SQLAlchemy's own Session; the table is ``sessions``."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("status IN ('in_progress', 'completed', 'cancelled')"),
        CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name="sessions_ended_after_start"
        ),
        ForeignKeyConstraint(
            ["user_id", "company_id"],
            ["users.id", "users.company_id"],
            name="sessions_user_company_fkey",
            ondelete="CASCADE",
        ),
        UniqueConstraint("id", "company_id", name="sessions_id_company_key"),
        Index("sessions_user_id_company_id_idx", "user_id", "company_id"),
        Index("sessions_company_id_idx", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    user_id: Mapped[UUID]
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = created_at()
    ended_at: Mapped[datetime | None]
    status: Mapped[str]


def _session_child_args(table: str) -> tuple[Any, ...]:
    return (
        ForeignKeyConstraint(
            ["session_id", "company_id"],
            ["sessions.id", "sessions.company_id"],
            name=f"{table}_session_company_fkey",
            ondelete="CASCADE",
        ),
        Index(f"{table}_company_id_idx", "company_id"),
    )


class Transcript(Base):
    __tablename__ = "transcripts"
    __table_args__ = _session_child_args("transcripts")

    id: Mapped[UUID] = uuid_pk()
    session_id: Mapped[UUID] = mapped_column(unique=True)
    company_id: Mapped[UUID]
    transcript_text: Mapped[str]
    created_at: Mapped[datetime] = created_at()


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = _session_child_args("feedback")

    id: Mapped[UUID] = uuid_pk()
    session_id: Mapped[UUID] = mapped_column(unique=True)
    company_id: Mapped[UUID]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
