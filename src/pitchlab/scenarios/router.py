"""The scenario endpoints: the library (built-ins and the company's own), read by every member;
the company's own written by its admins. Built-ins are read-only: duplicate one to change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import ClientIp, DbSession
from pitchlab.http.caching import cache_for
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import Unauthorized
from pitchlab.scenarios import service
from pitchlab.scenarios.errors import (
    BuiltInScenarioReadOnly,
    CompanyMembersOnly,
    ScenarioAdminsOnly,
    ScenarioArchived,
    ScenarioNotFound,
    UnknownScorecard,
)
from pitchlab.scenarios.schemas import ScenarioChange, ScenarioDetail, ScenarioIn, ScenarioList

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"])

ScenarioId = Annotated[str, Path(min_length=1, max_length=100,
                                 description="A built-in's slug or a company scenario's id.")]

_SHAPE = (
    "A scenario is `{id, built_in, name, description, persona: {name, title, personality, "
    "company}, company_background, call_type, difficulty, language, pains, objections, "
    "success_criteria, first_message, scorecard_id, archived_at, created_at, updated_at}`. "
)
_RULES = (
    "Rules: name 1-120 characters; description and company_background at most 2000; persona "
    "name 1-80, title 1-120, personality 1-300, company (optional) 1-120; call_type one of "
    "cold_call, discovery, demo, objection_handling, closing; difficulty easy, medium or hard; "
    "language en, es, de or fr; pains and objections 1-10 lines of 1-300 characters; "
    "success_criteria 1-1000; first_message 1-300; text never blank. `scorecard_id` must be one "
    "of the company's own scorecards, not archived (else 422 `unknown_scorecard`). "
)
_WRITERS = (
    "Company admins only: reps 403; a platform operator (of no company) 403. Another company's "
    "scenario (or an unknown id) is 404. "
)

# Signed-in callers only, and an admin's new scenario must show at once: a private cache that
# asks again every time (the ETag makes an unchanged list a bodiless 304).
SCENARIOS_MAX_AGE = 0


@router.get(
    "", response_model=ScenarioList, summary="The scenario library",
    description="The built-in scenarios, then the company's own that are not archived (oldest "
    "first), each `{id, name, description, persona, difficulty, call_type, language, built_in, "
    "scorecard_id}`. Any signed-in user; a platform operator sees the built-ins.",
    responses=error_responses(Unauthorized),
    dependencies=[cache_for(max_age=SCENARIOS_MAX_AGE, private=True)],
)
async def list_scenarios(principal: CurrentPrincipal, session: DbSession) -> ScenarioList:
    return ScenarioList(items=await service.list_scenarios(session, principal))


@router.get(
    "/{scenario_id}", response_model=ScenarioDetail, summary="One scenario, whole",
    description=_SHAPE + "A built-in (read-only: its dates are null) or one of the company's "
    "own, archived ones too. Any member; another company's id is 404.",
    responses=error_responses(Unauthorized, ScenarioNotFound),
)
async def get_scenario(scenario_id: ScenarioId, principal: CurrentPrincipal, session: DbSession
                       ) -> ScenarioDetail:
    return await service.detail(session, principal, scenario_id)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=ScenarioDetail,
    summary="Create a company scenario (company admins)",
    description=_SHAPE + _RULES + _WRITERS + "Recorded in the audit log as `scenario.created`.",
    responses=error_responses(Unauthorized, ScenarioAdminsOnly, CompanyMembersOnly,
                              UnknownScorecard, 422),
    openapi_extra={"x-roles": ["admin"]},
)
async def create_scenario(body: ScenarioIn, principal: CurrentPrincipal, session: DbSession,
                          ip: ClientIp) -> ScenarioDetail:
    return await service.create(session, principal, body, ip)


@router.patch(
    "/{scenario_id}", response_model=ScenarioDetail,
    summary="Change a company scenario (company admins)",
    description=_SHAPE + "Fields left out stay as they are; `scorecard_id: null` detaches the "
    "scorecard. " + _RULES + "A built-in is read-only: 409 `built_in_scenario` (duplicate it). "
    "An archived scenario: 409 `scenario_archived`. " + _WRITERS + "Recorded in the audit log "
    "as `scenario.changed` (when something changed).",
    responses=error_responses(Unauthorized, ScenarioAdminsOnly, CompanyMembersOnly,
                              ScenarioNotFound, BuiltInScenarioReadOnly, ScenarioArchived,
                              UnknownScorecard, 422),
    openapi_extra={"x-roles": ["admin"]},
)
async def change_scenario(scenario_id: ScenarioId, body: ScenarioChange,
                          principal: CurrentPrincipal, session: DbSession, ip: ClientIp
                          ) -> ScenarioDetail:
    return await service.change(session, principal, scenario_id, body, ip)


@router.post(
    "/{scenario_id}/archive", response_model=ScenarioDetail,
    summary="Archive a company scenario (company admins; idempotent)",
    description=_SHAPE + "It leaves the library and no new call can start in it; calls held in "
    "it keep its name, and a live one plays on. Archiving again changes nothing. A built-in: "
    "409 `built_in_scenario`. " + _WRITERS + "Recorded in the audit log as `scenario.archived`.",
    responses=error_responses(Unauthorized, ScenarioAdminsOnly, CompanyMembersOnly,
                              ScenarioNotFound, BuiltInScenarioReadOnly),
    openapi_extra={"x-roles": ["admin"]},
)
async def archive_scenario(scenario_id: ScenarioId, principal: CurrentPrincipal,
                           session: DbSession, ip: ClientIp) -> ScenarioDetail:
    return await service.archive(session, principal, scenario_id, ip)


@router.post(
    "/{scenario_id}/duplicate", status_code=status.HTTP_201_CREATED,
    response_model=ScenarioDetail,
    summary="Copy a built-in or company scenario into a new company scenario (company admins)",
    description=_SHAPE + "The copy is named \"<name> (copy)\" and has every field of the "
    "original (its scorecard while that is not archived). " + _WRITERS + "Recorded in the "
    "audit log as `scenario.created`.",
    responses=error_responses(Unauthorized, ScenarioAdminsOnly, CompanyMembersOnly,
                              ScenarioNotFound),
    openapi_extra={"x-roles": ["admin"]},
)
async def duplicate_scenario(scenario_id: ScenarioId, principal: CurrentPrincipal,
                             session: DbSession, ip: ClientIp) -> ScenarioDetail:
    return await service.duplicate(session, principal, scenario_id, ip)
