"""Queries of ``scenarios`` (a company's own). Every query names the company too, on top of
row-level security: a request in a system context still sees one company's rows."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import CompanyScenario


async def get(session: AsyncSession, company_id: UUID, scenario_id: UUID
              ) -> CompanyScenario | None:
    """The company's scenario, archived or not (history still names an archived one)."""
    query = select(CompanyScenario).where(CompanyScenario.id == scenario_id,
                                          CompanyScenario.company_id == company_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_many(session: AsyncSession, company_id: UUID, scenario_ids: list[UUID]
                   ) -> list[CompanyScenario]:
    """The company's scenarios among ``scenario_ids``, archived or not, in one query."""
    query = select(CompanyScenario).where(CompanyScenario.id.in_(scenario_ids),
                                          CompanyScenario.company_id == company_id)
    return list((await session.execute(query)).scalars())


async def locked(session: AsyncSession, company_id: UUID, scenario_id: UUID
                 ) -> CompanyScenario | None:
    """The company's scenario, locked for a change (two admins' edits apply one after the
    other)."""
    query = (select(CompanyScenario)
             .where(CompanyScenario.id == scenario_id, CompanyScenario.company_id == company_id)
             .with_for_update())
    return (await session.execute(query)).scalar_one_or_none()


async def list_active(session: AsyncSession, company_id: UUID) -> list[CompanyScenario]:
    """The company's scenarios that are not archived, oldest first."""
    query = (select(CompanyScenario)
             .where(CompanyScenario.company_id == company_id,
                    CompanyScenario.archived_at.is_(None))
             .order_by(CompanyScenario.created_at, CompanyScenario.id))
    return list((await session.execute(query)).scalars())


async def list_archived(session: AsyncSession, company_id: UUID) -> list[CompanyScenario]:
    """The company's archived scenarios, the latest archived first."""
    query = (select(CompanyScenario)
             .where(CompanyScenario.company_id == company_id,
                    CompanyScenario.archived_at.is_not(None))
             .order_by(CompanyScenario.archived_at.desc(), CompanyScenario.id))
    return list((await session.execute(query)).scalars())


async def add(session: AsyncSession, row: CompanyScenario) -> CompanyScenario:
    session.add(row)
    await session.flush()
    await session.refresh(row)  # the server's timestamps
    return row


async def save(session: AsyncSession, row: CompanyScenario) -> CompanyScenario:
    await session.flush()
    await session.refresh(row)
    return row
