"""Scenarios: the built-in library (read-only, in code) and a company's own (in its database),
both played as the same ``Scenario``. Admins write the company's; everyone reads both."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.audit import service as audit
from pitchlab.auth.dependencies import Principal
from pitchlab.models import CompanyScenario
from pitchlab.models.values import AuditAction
from pitchlab.providers.prospect import Persona, speech_of
from pitchlab.scenarios import repository
from pitchlab.scenarios.errors import (
    BuiltInScenarioReadOnly,
    CompanyMembersOnly,
    ScenarioAdminsOnly,
    ScenarioArchived,
    ScenarioNotFound,
    UnknownScorecard,
)
from pitchlab.scenarios.library import REAL_CALL, SCENARIOS, Scenario, get_scenario
from pitchlab.scenarios.schemas import (
    PersonaIn,
    PersonaOut,
    ScenarioChange,
    ScenarioDetail,
    ScenarioIn,
    ScenarioOut,
)
from pitchlab.scorecards import service as scorecards

# how many good moves earn the next step, as the built-ins set it by difficulty
_INTEREST_NEEDED = {"easy": 3, "medium": 4, "hard": 5}
_NAME_LIMIT = 120
_COPY_SUFFIX = " (copy)"


def company_scenario_uuid(scenario_id: str) -> UUID | None:
    """The id of a company scenario, or None for anything else (a built-in's slug)."""
    try:
        return UUID(scenario_id)
    except ValueError:
        return None


# --- reading, for the other domains ------------------------------------------------------------

async def _row(session: AsyncSession, company_id: UUID | None, scenario_id: str
               ) -> CompanyScenario | None:
    row_id = company_scenario_uuid(scenario_id)
    if row_id is None or company_id is None:
        return None
    return await repository.get(session, company_id, row_id)


async def scorecard_of(session: AsyncSession, company_id: UUID, scenario_id: str) -> UUID | None:
    """The scorecard a call in this scenario is graded on: its company scenario's, if one is
    attached; built-ins have none (they are graded on the five standard skills)."""
    row = await _row(session, company_id, scenario_id)
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
    row = await _row(session, company_id, scenario_id)
    if row is None:
        return None
    return ScenarioSummary(str(row.id), row.name, row.call_type, False,
                           row.archived_at is not None)


def _played(row: CompanyScenario) -> Scenario:
    """A company scenario as the prospect plays it: the same shape as a built-in's."""
    persona = row.persona
    return Scenario(
        str(row.id), row.name, row.description, row.difficulty,
        Persona(
            name=persona["name"], title=persona["title"],
            company=persona.get("company") or "their company",
            personality=persona["personality"], pains=tuple(row.pains),
            objections=tuple(row.objections), win_condition=row.success_criteria,
            opening_line=row.first_message,
            # the company wrote the rest in its scenario's language; these two are Pitchlab's
            agreement=speech_of(row.language).lines["agreement"],
            brush_off=speech_of(row.language).lines["brush_off"],
            background=row.company_background,
        ),
        _INTEREST_NEEDED[row.difficulty], row.call_type, row.language, row.scorecard_id,
        built_in=False,
    )


async def playable(session: AsyncSession, company_id: UUID | None, scenario_id: str, *,
                   live: bool = False) -> Scenario | None:
    """The scenario a call is held in: a built-in, or the company's own not archived; None
    when there is none. ``live``: the call has begun already, and an archived scenario keeps
    playing until it ends."""
    built_in = get_scenario(scenario_id)
    if built_in is not None:
        return built_in
    row = await _row(session, company_id, scenario_id)
    if row is None or (row.archived_at is not None and not live):
        return None
    return _played(row)


async def describe(session: AsyncSession, company_id: UUID, scenario_id: str) -> ScenarioOut:
    """How a call's history names its scenario: an archived one by its name still, one that is
    nowhere as "Retired scenario"."""
    return (await describe_all(session, company_id, [scenario_id]))[scenario_id]


async def describe_all(session: AsyncSession, company_id: UUID, scenario_ids: Iterable[str]
                       ) -> dict[str, ScenarioOut]:
    """``describe`` for each of a page of calls' scenarios, the company's own read in one
    query."""
    wanted = set(scenario_ids)
    row_ids = [uid for sid in wanted if (uid := company_scenario_uuid(sid)) is not None]
    rows = await repository.get_many(session, company_id, row_ids) if row_ids else []
    found = {str(row.id): _played(row) for row in rows}
    described = {}
    for sid in wanted:
        scenario = get_scenario(sid) or found.get(sid)
        if sid == REAL_CALL:
            described[sid] = ScenarioOut.real_call()
        else:
            described[sid] = ScenarioOut.of(scenario) if scenario else ScenarioOut.retired(sid)
    return described


async def library(session: AsyncSession, company_id: UUID | None) -> list[Scenario]:
    """What a member may practise: the built-ins, then the company's own not archived, oldest
    first (an operator, of no company, sees the built-ins)."""
    own = await repository.list_active(session, company_id) if company_id is not None else []
    return [*SCENARIOS, *(_played(row) for row in own)]


# --- the endpoints ----------------------------------------------------------------------------

def _company_of(principal: Principal) -> UUID:
    return principal.company_id_or(CompanyMembersOnly)


def _admins_company(principal: Principal) -> UUID:
    return principal.admins_company_id_or(CompanyMembersOnly, ScenarioAdminsOnly)


async def list_scenarios(session: AsyncSession, principal: Principal) -> list[ScenarioOut]:
    return [ScenarioOut.of(s) for s in await library(session, principal.user.company_id)]


async def own_scenarios(session: AsyncSession, principal: Principal
                        ) -> tuple[list[ScenarioDetail], list[ScenarioDetail]]:
    """The admin's company's scenarios in full: (live, archived), for the admin pages."""
    company_id = _admins_company(principal)
    live = await repository.list_active(session, company_id)
    archived = await repository.list_archived(session, company_id)
    return [_detail_of_row(row) for row in live], [_detail_of_row(row) for row in archived]


def _detail_of_row(row: CompanyScenario) -> ScenarioDetail:
    persona = row.persona
    return ScenarioDetail(
        id=str(row.id), built_in=False, name=row.name, description=row.description,
        persona=PersonaOut(name=persona["name"], title=persona["title"],
                           personality=persona["personality"], company=persona.get("company")),
        company_background=row.company_background, call_type=row.call_type,
        difficulty=row.difficulty, language=row.language, pains=list(row.pains),
        objections=list(row.objections), success_criteria=row.success_criteria,
        first_message=row.first_message, scorecard_id=row.scorecard_id,
        archived_at=row.archived_at, created_at=row.created_at, updated_at=row.updated_at,
    )


def _detail_of_built_in(scenario: Scenario) -> ScenarioDetail:
    p = scenario.persona
    return ScenarioDetail(
        id=scenario.id, built_in=True, name=scenario.name, description=scenario.description,
        persona=PersonaOut(name=p.name, title=p.title, personality=p.personality,
                           company=p.company),
        company_background=p.background, call_type=scenario.call_type,
        difficulty=scenario.difficulty, language=scenario.language, pains=list(p.pains),
        objections=list(p.objections), success_criteria=p.win_condition,
        first_message=p.opening_line, scorecard_id=None, archived_at=None, created_at=None,
        updated_at=None,
    )


async def _source(session: AsyncSession, principal: Principal, scenario_id: str
                  ) -> Scenario | CompanyScenario:
    """A built-in, or the caller's company's scenario (archived too); else 404."""
    built_in = get_scenario(scenario_id)
    if built_in is not None:
        return built_in
    row = await _row(session, principal.user.company_id, scenario_id)
    if row is None:
        raise ScenarioNotFound
    return row


async def detail(session: AsyncSession, principal: Principal, scenario_id: str
                 ) -> ScenarioDetail:
    source = await _source(session, principal, scenario_id)
    if isinstance(source, Scenario):
        return _detail_of_built_in(source)
    return _detail_of_row(source)


async def admin_detail(session: AsyncSession, principal: Principal, scenario_id: str
                       ) -> ScenarioDetail:
    """``detail`` for the admin pages: an operator or a rep is refused before anything is read."""
    _admins_company(principal)
    return await detail(session, principal, scenario_id)


async def _check_scorecard(session: AsyncSession, company_id: UUID, scorecard_id: UUID | None
                           ) -> None:
    if scorecard_id is not None and not await scorecards.is_active(session, company_id,
                                                                   scorecard_id):
        raise UnknownScorecard(details={"scorecard_id": str(scorecard_id)})


def _persona(persona: PersonaIn) -> dict[str, Any]:
    return persona.model_dump(exclude_none=True)  # no "company" key when none is given


async def create(session: AsyncSession, principal: Principal, body: ScenarioIn,
                 ip: str | None = None) -> ScenarioDetail:
    company_id = _admins_company(principal)
    await _check_scorecard(session, company_id, body.scorecard_id)
    fields = body.model_dump(exclude={"persona"})
    row = await repository.add(session, CompanyScenario(
        company_id=company_id, persona=_persona(body.persona), **fields))
    await _audit(session, principal, AuditAction.SCENARIO_CREATED, row, ip, {"name": row.name})
    return _detail_of_row(row)


async def _locked_own(session: AsyncSession, principal: Principal, scenario_id: str
                      ) -> tuple[UUID, CompanyScenario]:
    """The admin's company's scenario, locked; a built-in is read-only (409), anything else
    404."""
    company_id = _admins_company(principal)
    if get_scenario(scenario_id) is not None:
        raise BuiltInScenarioReadOnly
    row_id = company_scenario_uuid(scenario_id)
    row = await repository.locked(session, company_id, row_id) if row_id is not None else None
    if row is None:
        raise ScenarioNotFound
    return company_id, row


async def change(session: AsyncSession, principal: Principal, scenario_id: str,
                 body: ScenarioChange, ip: str | None = None) -> ScenarioDetail:
    company_id, row = await _locked_own(session, principal, scenario_id)
    if row.archived_at is not None:
        raise ScenarioArchived
    given = body.model_fields_set
    if "scorecard_id" in given:
        await _check_scorecard(session, company_id, body.scorecard_id)
    changes: dict[str, Any] = {
        field: getattr(body, field) for field in given
        # null is "leave it" for every field but the scorecard's, where it detaches it
        if getattr(body, field) is not None or field == "scorecard_id"
    }
    if body.persona is not None:
        changes["persona"] = _persona(body.persona)
    changed = sorted(f for f, value in changes.items() if getattr(row, f) != value)
    for field in changed:
        setattr(row, field, changes[field])
    if changed:
        row = await repository.save(session, row)
        await _audit(session, principal, AuditAction.SCENARIO_CHANGED, row, ip,
                     {"fields": changed})
    return _detail_of_row(row)


async def archive(session: AsyncSession, principal: Principal, scenario_id: str,
                  ip: str | None = None) -> ScenarioDetail:
    """Idempotent: archiving an archived scenario changes (and records) nothing."""
    _, row = await _locked_own(session, principal, scenario_id)
    if row.archived_at is None:
        row.archived_at = datetime.now(UTC)
        row = await repository.save(session, row)
        await _audit(session, principal, AuditAction.SCENARIO_ARCHIVED, row, ip, None)
    return _detail_of_row(row)


async def duplicate(session: AsyncSession, principal: Principal, scenario_id: str,
                    ip: str | None = None) -> ScenarioDetail:
    """A new company scenario, "<name> (copy)", from a built-in or one of the company's own
    (an archived one too: a way to bring it back). Its scorecard goes along while it is live."""
    company_id = _admins_company(principal)
    source = await _source(session, principal, scenario_id)
    original = (_detail_of_built_in(source) if isinstance(source, Scenario)
                else _detail_of_row(source))
    scorecard_id = original.scorecard_id
    if scorecard_id is not None and not await scorecards.is_active(session, company_id,
                                                                   scorecard_id):
        scorecard_id = None
    name = original.name[:_NAME_LIMIT - len(_COPY_SUFFIX)] + _COPY_SUFFIX
    row = await repository.add(session, CompanyScenario(
        company_id=company_id, name=name, description=original.description,
        persona=original.persona.model_dump(exclude_none=True),
        company_background=original.company_background, call_type=original.call_type,
        difficulty=original.difficulty, language=original.language, pains=original.pains,
        objections=original.objections, success_criteria=original.success_criteria,
        first_message=original.first_message, scorecard_id=scorecard_id,
    ))
    await _audit(session, principal, AuditAction.SCENARIO_CREATED, row, ip,
                 {"name": row.name, "duplicate_of": original.id})
    return _detail_of_row(row)


async def _audit(session: AsyncSession, principal: Principal, action: AuditAction,
                 row: CompanyScenario, ip: str | None, details: dict[str, Any] | None) -> None:
    await audit.record(session, action, actor_id=principal.user.id, company_id=row.company_id,
                       target_type="scenario", target_id=row.id, ip=ip, details=details)
