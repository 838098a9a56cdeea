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
