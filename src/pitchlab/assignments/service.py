"""Assignments: an admin asks reps to practise a scenario (by a date, to a target score); reps
read theirs, admins the company's, each with its progress (``repository.progress``, the one
definition of best_score and completed_at), read by analytics too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from pitchlab.assignments import repository
from pitchlab.assignments.errors import (
    AssignmentAdminsOnly,
    AssignmentNotFound,
    AssignmentsOfCompaniesOnly,
    UnassignableScenario,
    UnknownRep,
)
from pitchlab.assignments.schemas import AssignmentIn, AssignmentOut, ScenarioRef, Status
from pitchlab.audit import service as audit
from pitchlab.auth.dependencies import Principal
from pitchlab.kit import cursors
from pitchlab.models import Assignment
from pitchlab.models.values import AuditAction, Role
from pitchlab.scenarios import service as scenarios
from pitchlab.users import service as users

# Members read at once to check the ids of a request and to name the reps of a page (a
# company's seats are far fewer).
MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class Completion:
    completed: int
    total: int


async def completion_by_rep(session: AsyncSession, company_id: UUID) -> dict[UUID, Completion]:
    """Per rep with any assignment: how many are completed, of how many."""
    progress = repository.progress(company_id).subquery()
    query = (
        select(progress.c.user_id,
               func.count(progress.c.completed_at).label("completed"),
               func.count().label("total"))
        .group_by(progress.c.user_id)
    )
    rows = (await session.execute(query)).all()
    return {row.user_id: Completion(row.completed, row.total) for row in rows}


def _company_of(principal: Principal) -> UUID:
    return principal.company_id_or(AssignmentsOfCompaniesOnly)


def _admins_company(principal: Principal) -> UUID:
    return principal.admins_company_id_or(AssignmentsOfCompaniesOnly, AssignmentAdminsOnly)


async def _targets(session: AsyncSession, company_id: UUID, body: AssignmentIn) -> list[UUID]:
    """Who gets the scenario: every active rep for ``all``, else the ids given, each an active
    member of the company (422 ``unknown_rep`` naming the others, so nothing is written)."""
    if body.user_ids is None:
        reps = await users.list_accounts(session, company_id=company_id, role=Role.USER,
                                         after=None, limit=MAX_MEMBERS)
        return [user.id for user in reps if user.disabled_at is None]
    members = {uid: user for uid, user in
               (await users.accounts_by_id(session, company_id, body.user_ids)).items()
               if user.disabled_at is None}
    unknown = [str(uid) for uid in body.user_ids if uid not in members]
    if unknown:
        raise UnknownRep(
            f"No active member of your company has the id {', '.join(unknown)}.",
            details={"user_ids": unknown},
        )
    return list(dict.fromkeys(body.user_ids))


async def assign(
    session: AsyncSession, principal: Principal, body: AssignmentIn, ip: str | None = None
) -> list[AssignmentOut]:
    company_id = _admins_company(principal)
    summary = await scenarios.scenario_summary(session, company_id, body.scenario_id)
    if summary is None or summary.archived:
        raise UnassignableScenario(details={"scenario_id": body.scenario_id})
    targets = await _targets(session, company_id, body)
    target = Decimal(str(body.target_score)) if body.target_score is not None else None
    if not targets:  # `all` in a company without active reps: nothing to assign
        return []
    ids = await repository.upsert(session, company_id, body.scenario_id, targets, body.due_at,
                                  target)
    await audit.record(session, AuditAction.ASSIGNMENT_CREATED, actor_id=principal.user.id,
                       company_id=company_id, target_type="scenario", target_id=summary.id,
                       ip=ip, details={"count": len(ids), "all": body.all})
    rows = await repository.page(session, company_id, Assignment.id.in_(ids), status=None,
                                 now=datetime.now(UTC), after=None, limit=len(ids))
    return await _out(session, company_id, rows)


async def list_assignments(
    session: AsyncSession, principal: Principal, *, user_id: UUID | None,
    scenario_id: str | None, status: Status | None, cursor: str | None, limit: int,
) -> tuple[list[AssignmentOut], str | None]:
    """A rep's own assignments; an admin's company's (filtered by rep and scenario)."""
    company_id = _company_of(principal)
    conditions: list[ColumnElement[bool]] = []
    if principal.user.role != Role.ADMIN:
        conditions.append(Assignment.user_id == principal.user.id)
    if user_id is not None:
        conditions.append(Assignment.user_id == user_id)
    if scenario_id is not None:
        conditions.append(Assignment.scenario_id == scenario_id)
    rows = await repository.page(session, company_id, *conditions, status=status,
                                 now=datetime.now(UTC), after=cursors.decode_cursor(cursor),
                                 limit=limit + 1)
    kept, next_cursor = cursors.page(rows, limit, lambda row: (row[0].created_at, row[0].id))
    return await _out(session, company_id, kept), next_cursor


async def withdraw(
    session: AsyncSession, principal: Principal, assignment_id: UUID, ip: str | None
) -> None:
    company_id = _admins_company(principal)
    if not await repository.delete(session, company_id, assignment_id):
        raise AssignmentNotFound
    await audit.record(session, AuditAction.ASSIGNMENT_WITHDRAWN, actor_id=principal.user.id,
                       company_id=company_id, target_type="assignment",
                       target_id=assignment_id, ip=ip)


async def _out(
    session: AsyncSession, company_id: UUID,
    rows: list[tuple[Assignment, Decimal | None, datetime | None]],
) -> list[AssignmentOut]:
    members = await users.accounts_by_id(
        session, company_id, list({assignment.user_id for assignment, _, _ in rows}))
    named: dict[str, ScenarioRef] = {}
    now = datetime.now(UTC)
    items = []
    for assignment, best_score, completed_at in rows:
        if assignment.scenario_id not in named:
            named[assignment.scenario_id] = await _scenario_ref(session, company_id,
                                                                assignment.scenario_id)
        member = members.get(assignment.user_id)
        items.append(AssignmentOut(
            id=assignment.id, scenario=named[assignment.scenario_id],
            user_id=assignment.user_id, user_name=member.name if member else None,
            due_at=assignment.due_at, target_score=_number(assignment.target_score),
            best_score=_number(best_score), completed_at=completed_at,
            overdue=completed_at is None and assignment.due_at is not None
            and assignment.due_at < now,
        ))
    return items


async def _scenario_ref(session: AsyncSession, company_id: UUID, scenario_id: str) -> ScenarioRef:
    summary = await scenarios.scenario_summary(session, company_id, scenario_id)
    if summary is None:  # a built-in since removed from the library: its id is all there is
        return ScenarioRef(id=scenario_id, name=scenario_id, call_type="")
    return ScenarioRef(id=summary.id, name=summary.name, call_type=summary.call_type)


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None
