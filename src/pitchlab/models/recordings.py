"""Recordings of real calls and the seconds each company used of its monthly allowance
(migration 0016)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk


class Recording(Base):
    """An uploaded audio file or meeting transcript. The file is in the storage under
    ``storage_key``; once the rep's speaker is known, ``session_id`` is the call it became."""

    __tablename__ = "recordings"
    __table_args__ = (
        CheckConstraint("kind IN ('audio', 'transcript')", name="recordings_kind_check"),
        CheckConstraint("status IN ('processing', 'needs_speaker', 'ready', 'failed')",
                        name="recordings_status_check"),
        CheckConstraint("language IN ('en', 'es', 'de', 'fr')", name="recordings_language_check"),
        CheckConstraint("size_bytes >= 0", name="recordings_size_check"),
        CheckConstraint("metered_seconds >= 0", name="recordings_metered_check"),
        ForeignKeyConstraint(["session_id", "company_id"], ["sessions.id", "sessions.company_id"],
                             name="recordings_session_company_fkey",
                             ondelete="SET NULL (session_id)"),  # company_id stays
        ForeignKeyConstraint(["user_id", "company_id"], ["users.id", "users.company_id"],
                             name="recordings_user_company_fkey", ondelete="CASCADE"),
        Index("recordings_company_id_idx", "company_id"),
        Index("recordings_user_id_idx", "user_id", "company_id", text("created_at DESC")),
        Index("recordings_session_id_idx", "session_id", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[UUID]
    title: Mapped[str]
    kind: Mapped[str]
    media_type: Mapped[str]
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(unique=True)
    language: Mapped[str | None]
    status: Mapped[str]
    failure: Mapped[str | None]
    # [{"id", "name", "words", "seconds"}]: who was heard, and how much
    speakers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    rep_speaker: Mapped[str | None]
    # the company's scorecard its call is graded on (chosen on upload; checked live then)
    scorecard_id: Mapped[UUID | None]
    # [{"speaker", "text", "start", "end"}] (seconds): the conversation as read from the file
    utterances: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    duration_seconds: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    metered_seconds: Mapped[int] = mapped_column(server_default=text("0"))
    metered_month: Mapped[date | None]
    session_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class RecordingUsage(Base):
    """The seconds of recordings a company used in a calendar month (UTC)."""

    __tablename__ = "recording_usage"
    __table_args__ = (CheckConstraint("used_seconds >= 0", name="recording_usage_used_check"),)

    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                             primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    used_seconds: Mapped[int] = mapped_column(server_default=text("0"))
