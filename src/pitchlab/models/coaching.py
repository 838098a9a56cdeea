"""A company's own scenarios and the assignments of scenarios to reps (migration 0015)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk


class CompanyScenario(Base):
    """A role-play a company wrote (the built-in library lives in code). Archived, never
    deleted: past calls name it by id and history keeps showing its name."""

    __tablename__ = "scenarios"
    __table_args__ = (
        CheckConstraint("call_type IN ('cold_call', 'discovery', 'demo', "
                        "'objection_handling', 'closing')", name="scenarios_call_type_check"),
        CheckConstraint("difficulty IN ('easy', 'medium', 'hard')",
                        name="scenarios_difficulty_check"),
        CheckConstraint("language IN ('en', 'es', 'de', 'fr')", name="scenarios_language_check"),
        UniqueConstraint("id", "company_id", name="scenarios_id_company_key"),
        ForeignKeyConstraint(["scorecard_id", "company_id"],
                             ["scorecards.id", "scorecards.company_id"],
                             name="scenarios_scorecard_company_fkey"),
        Index("scenarios_company_id_idx", "company_id", "created_at"),
        Index("scenarios_scorecard_id_idx", "scorecard_id", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str]
    description: Mapped[str]
    # {"name", "title", "personality"}: who the prospect is
    persona: Mapped[dict[str, Any]] = mapped_column(JSONB)
    company_background: Mapped[str]
    call_type: Mapped[str]
    difficulty: Mapped[str]
    language: Mapped[str]
    pains: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    objections: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    success_criteria: Mapped[str]
    first_message: Mapped[str]
    scorecard_id: Mapped[UUID | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    archived_at: Mapped[datetime | None]


class Assignment(Base):
    """An admin's request that a rep practise a scenario (by ``due_at``, to ``target_score``).
    One per (scenario, rep); progress is read from the rep's calls, not stored."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("target_score BETWEEN 1 AND 5", name="assignments_target_score_check"),
        ForeignKeyConstraint(["user_id", "company_id"], ["users.id", "users.company_id"],
                             name="assignments_user_company_fkey", ondelete="CASCADE"),
        UniqueConstraint("company_id", "scenario_id", "user_id",
                         name="assignments_scenario_user_key"),
        Index("assignments_user_id_idx", "user_id", "company_id"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # a built-in scenario's slug or a company scenario's id, as sessions.scenario_id
    scenario_id: Mapped[str]
    user_id: Mapped[UUID]
    due_at: Mapped[datetime | None]
    target_score: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
