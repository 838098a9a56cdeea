from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, uuid_pk
from pitchlab.models.values import (
    ChoiceText,
    FeedbackStatus,
    SessionMode,
    SessionStatus,
    Turn,
    one_of,
)


class PracticeSession(Base):
    """A role-play call. Named apart from SQLAlchemy's own Session; the table is ``sessions``."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint(one_of("status", SessionStatus)),
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
        CheckConstraint(one_of("mode", SessionMode)),
        CheckConstraint("minutes_billed >= 0"),
        CheckConstraint("language IN ('en', 'es', 'de', 'fr')", name="sessions_language_check"),
        CheckConstraint(one_of("feedback_status", FeedbackStatus)),
        Index("sessions_user_id_company_id_idx", "user_id", "company_id"),
        Index("sessions_company_id_idx", "company_id"),
        Index("sessions_company_ended_idx", "company_id", "ended_at"),
        Index("sessions_one_live_per_user", "user_id", unique=True,
              postgresql_where=text("status = 'in_progress'")),
        Index("sessions_live_activity_idx", "last_activity_at",
              postgresql_where=text("status = 'in_progress'")),
        Index("sessions_feedback_pending_idx", "ended_at",
              postgresql_where=text("feedback_status = 'pending'")),
    )

    id: Mapped[UUID] = uuid_pk()
    user_id: Mapped[UUID]
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = created_at()
    ended_at: Mapped[datetime | None]
    status: Mapped[SessionStatus] = mapped_column(ChoiceText(SessionStatus))
    scenario_id: Mapped[str]
    mode: Mapped[SessionMode] = mapped_column(ChoiceText(SessionMode))
    minutes_billed: Mapped[int] = mapped_column(server_default=text("0"))
    last_activity_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # an EndReason; plain text, so that a reason this code no longer knows still reads back
    end_reason: Mapped[str | None]
    feedback_status: Mapped[FeedbackStatus | None] = mapped_column(ChoiceText(FeedbackStatus))
    feedback_error: Mapped[str | None]
    provider_conversation_id: Mapped[str | None]
    # the language the call was held in (its scenario's, or a recording's); null: English
    language: Mapped[str | None]
    # graded on this scorecard when no scenario says (a recording's); null: the scenario's
    scorecard_id: Mapped[UUID | None]


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
    turns: Mapped[list[Turn]] = mapped_column(JSONB, server_default=text("'[]'"))
    created_at: Mapped[datetime] = created_at()


class StreamTicket(Base):
    """A single-use, short-lived pass to open a session's stream (browsers cannot send headers
    on a WebSocket upgrade)."""

    __tablename__ = "stream_tickets"
    __table_args__ = (
        Index("stream_tickets_session_id_idx", "session_id"),
        Index("stream_tickets_user_id_idx", "user_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    session_id: Mapped[UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = _session_child_args("feedback")

    id: Mapped[UUID] = uuid_pk()
    session_id: Mapped[UUID] = mapped_column(unique=True)
    company_id: Mapped[UUID]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    scored_by: Mapped[str]
    rubric_version: Mapped[str]
    raw_output: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # the call's overall score 1..5 (0015): the scorecard's weighted score when there is one,
    # else the mean of the scored skills; null when nothing was scored
    score: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    # What analytics aggregates, generated from ``metrics`` by the database (0015, analytics):
    # never written by the application. A skill's column is null where it was not scored;
    # criteria: only those scored.
    call_type: Mapped[str | None] = mapped_column(Computed("metrics ->> 'call_type'"))
    talk_ratio: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_number(metrics -> 'talk_ratio')"))
    fillers_per_100_words: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_number(metrics -> 'filler_words' -> 'per_100_words')"))
    questions_per_10_minutes: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_number(metrics -> 'questions_per_10_minutes')"))
    skill_discovery: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_scored_skill(metrics, 'discovery')"))
    skill_objection_handling: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_scored_skill(metrics, 'objection_handling')"))
    skill_rapport: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_scored_skill(metrics, 'rapport')"))
    skill_value_articulation: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_scored_skill(metrics, 'value_articulation')"))
    skill_closing: Mapped[float | None] = mapped_column(
        Double, Computed("pitchlab_scored_skill(metrics, 'closing')"))
    criterion_scores: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSONB, Computed("pitchlab_scored_criteria(metrics)"))
    created_at: Mapped[datetime] = created_at()
