"""The assignment endpoints: admins assign scenarios to reps (by a date, to a target score) and
see the company's progress; reps see their own."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from pitchlab.assignments import service
from pitchlab.assignments.errors import (
    AssignmentAdminsOnly,
    AssignmentNotFound,
    AssignmentsOfCompaniesOnly,
    UnassignableScenario,
    UnknownRep,
)
from pitchlab.assignments.schemas import AssignmentIn, AssignmentList, AssignmentsMade, Status
from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import ClientIp, DbSession
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import InvalidCursor, Unauthorized

router = APIRouter(prefix="/api/assignments", tags=["assignments"])

_SHAPE = (
    "An assignment is `{id, scenario: {id, name, call_type}, user_id, user_name, due_at, "
    "target_score, best_score, completed_at, overdue}`. Progress comes from the rep's calls: a "
    "completed call in the scenario that ended after the assignment was made counts with its "
    "feedback's score; `best_score` is the best of them, `completed_at` when the first one "
    "reaching `target_score` (any scored call, without a target) ended; a late call still "
    "completes it (`overdue`: not completed and past `due_at`). "
)
_OPERATORS = "A platform operator (super_admin) belongs to no company and has none: 403. "


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AssignmentsMade,
    summary="Assign a scenario to reps, with a due date and a target score (company admins)",
    description=_SHAPE + "Body `{scenario_id, user_ids: [...] | all: true, due_at?, "
    "target_score?}`: exactly one of `user_ids` (active members of the company) and `all` "
    "(every active rep, role `user`, of the company now). A rep who has the scenario already "
    "keeps that assignment (and its calls) with the new `due_at` and `target_score`. "
    "`scenario_id`: a built-in's id or one of the company's scenarios, not archived, else 422 "
    "`unassignable_scenario`; an id naming no active member of the company (unknown, "
    "another company's, disabled) is 422 `unknown_rep` with `details.user_ids`; nothing is "
    "written then. `target_score` 1 to 5, at most two decimals; `due_at` with a time zone, "
    "not in the past. Answers the assignments made or updated. Reps: 403. " + _OPERATORS
    + "Recorded in the audit log as `assignment.created` (one entry, with the count).",
    responses=error_responses(Unauthorized, AssignmentAdminsOnly, AssignmentsOfCompaniesOnly,
                              UnassignableScenario, UnknownRep, 422),
    openapi_extra={"x-roles": ["admin"]},
)
async def assign(
    body: AssignmentIn, principal: CurrentPrincipal, session: DbSession, ip: ClientIp
) -> AssignmentsMade:
    return AssignmentsMade(items=await service.assign(session, principal, body, ip))


@router.get(
    "",
    response_model=AssignmentList,
    summary="Assignments: a rep's own, or the company's (admins)",
    description=_SHAPE + "A rep sees their own; an admin the company's, filtered by "
    "`user_id` and `scenario_id` if given. `status`: `open` (not completed, not overdue), "
    "`completed` or `overdue`. Oldest first; `cursor` is a page's `next_cursor`. "
    + _OPERATORS,
    responses=error_responses(Unauthorized, AssignmentsOfCompaniesOnly, InvalidCursor, 422),
)
async def list_assignments(
    principal: CurrentPrincipal, session: DbSession,
    user_id: UUID | None = None,
    scenario_id: Annotated[str | None, Query(max_length=100)] = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AssignmentList:
    items, next_cursor = await service.list_assignments(
        session, principal, user_id=user_id, scenario_id=scenario_id, status=status,
        cursor=cursor, limit=limit,
    )
    return AssignmentList(items=items, next_cursor=next_cursor)


@router.delete(
    "/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Withdraw an assignment (company admins)",
    description="The assignment is deleted; the rep's calls stay. Another company's assignment "
    "(or an unknown one) is 404. Reps: 403. " + _OPERATORS,
    responses=error_responses(Unauthorized, AssignmentAdminsOnly, AssignmentsOfCompaniesOnly,
                              AssignmentNotFound, 422),
    openapi_extra={"x-roles": ["admin"]},
)
async def withdraw(assignment_id: UUID, principal: CurrentPrincipal, session: DbSession,
                   ip: ClientIp) -> Response:
    await service.withdraw(session, principal, assignment_id, ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
