"""A company's scenarios: reading them (the API's writes come with the scenario endpoints)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.scenarios import repository


def company_scenario_uuid(scenario_id: str) -> UUID | None:
    """The id of a company scenario, or None for anything else (a built-in's slug)."""
    try:
        return UUID(scenario_id)
    except ValueError:
        return None


async def scorecard_of(session: AsyncSession, company_id: UUID, scenario_id: str) -> UUID | None:
    """The scorecard a call in this scenario is graded on: its company scenario's, if one is
    attached; built-ins have none (they are graded on the five standard skills)."""
    row_id = company_scenario_uuid(scenario_id)
    if row_id is None:
        return None
    row = await repository.get(session, company_id, row_id)
    return row.scorecard_id if row is not None else None
