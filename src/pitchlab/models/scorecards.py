"""Scorecards: a company's own grading criteria, and every version of them a report may name."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base, created_at, updated_at, uuid_pk
from pitchlab.models.values import ChoiceText, Methodology, one_of


class Scorecard(Base):
    """The scorecard as it is now; ``version`` names its current row in ``scorecard_versions``."""

    __tablename__ = "scorecards"
    __table_args__ = (
        CheckConstraint(one_of("methodology", Methodology), name="scorecards_methodology_check"),
        CheckConstraint("version >= 1", name="scorecards_version_check"),
        # the versions' foreign key names the company too, so a version cannot change tenant
        UniqueConstraint("id", "company_id", name="scorecards_id_company_key"),
        Index("scorecards_company_id_idx", "company_id", "created_at"),
    )

    id: Mapped[UUID] = uuid_pk()
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str]
    methodology: Mapped[Methodology] = mapped_column(ChoiceText(Methodology))
    version: Mapped[int]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    archived_at: Mapped[datetime | None]


class ScorecardVersion(Base):
    """The criteria of one version, never changed once written: a report scored with it stays
    readable after the scorecard is edited."""

    __tablename__ = "scorecard_versions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["scorecard_id", "company_id"], ["scorecards.id", "scorecards.company_id"],
            name="scorecard_versions_scorecard_company_fkey", ondelete="CASCADE",
        ),
        CheckConstraint("version >= 1", name="scorecard_versions_version_check"),
        Index("scorecard_versions_company_id_idx", "company_id"),
    )

    scorecard_id: Mapped[UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[UUID] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
