"""A company's scenarios: reading them (the API's writes come with the scenario endpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.practice.scenarios import get_scenario
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


@dataclass(frozen=True)
class ScenarioSummary:
    """What another domain may say of a scenario: assignments and analytics name it."""

    id: str
    name: str
    call_type: str
    built_in: bool
    archived: bool


async def scenario_summary(session: AsyncSession, company_id: UUID, scenario_id: str
                           ) -> ScenarioSummary | None:
    """A built-in's or the company's own scenario (archived ones too), or None: no such
    scenario for this company."""
    built_in = get_scenario(scenario_id)
    if built_in is not None:
        return ScenarioSummary(built_in.id, built_in.name, built_in.call_type, True, False)
    row_id = company_scenario_uuid(scenario_id)
    row = await repository.get(session, company_id, row_id) if row_id is not None else None
    if row is None:
        return None
    return ScenarioSummary(str(row.id), row.name, row.call_type, False,
                           row.archived_at is not None)
