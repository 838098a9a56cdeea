"""Queries of ``scorecards`` and ``scorecard_versions``. Every query names the company too, on
top of row-level security: a request in a system context still sees one company's rows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import Scorecard, ScorecardVersion


async def list_active(
    session: AsyncSession, company_id: UUID
) -> list[tuple[Scorecard, ScorecardVersion]]:
    """The company's scorecards that are not archived, oldest first, each with its current
    version."""
    query = (
        select(Scorecard, ScorecardVersion)
        .join(ScorecardVersion, (ScorecardVersion.scorecard_id == Scorecard.id)
              & (ScorecardVersion.version == Scorecard.version))
        .where(Scorecard.company_id == company_id, Scorecard.archived_at.is_(None))
        .order_by(Scorecard.created_at, Scorecard.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def with_current_version(
    session: AsyncSession, company_id: UUID, scorecard_id: UUID
) -> tuple[Scorecard, ScorecardVersion] | None:
    """The scorecard (archived or not) with its current version."""
    query = (
        select(Scorecard, ScorecardVersion)
        .join(ScorecardVersion, (ScorecardVersion.scorecard_id == Scorecard.id)
              & (ScorecardVersion.version == Scorecard.version))
        .where(Scorecard.id == scorecard_id, Scorecard.company_id == company_id)
    )
    row = (await session.execute(query)).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def locked(session: AsyncSession, company_id: UUID, scorecard_id: UUID) -> Scorecard | None:
    query = (
        select(Scorecard)
        .where(Scorecard.id == scorecard_id, Scorecard.company_id == company_id)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def version_of(
    session: AsyncSession, scorecard_id: UUID, version: int
) -> ScorecardVersion | None:
    return await session.get(ScorecardVersion, (scorecard_id, version))


async def add(
    session: AsyncSession, scorecard: Scorecard, criteria: list[dict[str, Any]]
) -> ScorecardVersion:
    session.add(scorecard)
    await session.flush()
    return await add_version(session, scorecard, criteria)


async def add_version(
    session: AsyncSession, scorecard: Scorecard, criteria: list[dict[str, Any]]
) -> ScorecardVersion:
    version = ScorecardVersion(scorecard_id=scorecard.id, version=scorecard.version,
                               company_id=scorecard.company_id, criteria=criteria)
    session.add(version)
    await session.flush()
    return version
