"""Assignment pages: an admin assigns a scenario to reps (by a date, to a target score), reads
the company's assignments with their progress and withdraws one; a rep reads theirs and starts
a call from it. Each goes through the same service as /api/assignments, the form validated
with the API's own ``AssignmentIn``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from pitchlab.assignments import service
from pitchlab.assignments.schemas import AssignmentIn, Status
from pitchlab.auth.dependencies import Principal
from pitchlab.deps import ClientIp
from pitchlab.models.values import Role
from pitchlab.scenarios import service as scenarios
from pitchlab.users import service as users
from pitchlab.web.pages import redirect, render
from pitchlab.web.public import decimal_or_text
from pitchlab.web.routing import FormRejected, WebRoute, form_errors
from pitchlab.web.session import BrowserAdmin, BrowserUser, CsrfChecked
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 20
TEMPLATE = "admin/assignments.html"
Cursor = Annotated[str | None, Query(max_length=200)]
StatusFilter = Annotated[Status | None, Query()]
DONE = {"assigned": "The scenario is assigned.", "withdrawn": "The assignment is withdrawn."}
NO_REP = "Choose at least one rep, or All reps."
# The model's own rules (not one field's) name the field they are about, as the API says them.
RULE_FIELDS = ("target_score", "due_at")


def _done(done: str | None) -> str | None:
    return DONE.get(done or "")


def end_of_day(typed: str) -> Any:
    """A date input's day as its last second in UTC (the API's ``due_at``); left as typed when
    it is no date, for the model to refuse with its message."""
    try:
        return f"{date.fromisoformat(typed).isoformat()}T23:59:59Z"
    except ValueError:
        return typed


# ------------------------------------------------------------------------------ the form


async def _posted(request: Request) -> dict[str, Any]:
    """The form as typed: one scenario, the reps ticked, "All reps", the day and the target."""
    form = await request.form()
    return {"scenario_id": str(form.get("scenario_id") or "").strip(),
            "user_ids": [str(value) for value in form.getlist("user_ids")],
            "all": form.get("all") == "on",
            "due_at": str(form.get("due_at") or "").strip(),
            "target_score": str(form.get("target_score") or "").strip()}


def _body(values: dict[str, Any]) -> dict[str, Any]:
    """The API's body for the form: "All reps" stands for every rep, whoever else is ticked."""
    return {"scenario_id": values["scenario_id"],
            **({"all": True} if values["all"] else {"user_ids": values["user_ids"] or None}),
            "due_at": end_of_day(values["due_at"]) if values["due_at"] else None,
            "target_score": (decimal_or_text(values["target_score"])
                             if values["target_score"] else None)}


def _field_of(problem: Any) -> str:
    """The form field a refusal is about: its own, or for a rule of the whole model, the field
    the rule names (else the reps: the rule of `user_ids` or `all`)."""
    names = [part for part in problem.get("loc", ()) if isinstance(part, str)]
    if names:
        return "user_ids" if names[0] == "all" else names[0]
    return next((name for name in RULE_FIELDS if f"`{name}`" in problem["msg"]), "user_ids")


def _validated(values: dict[str, Any], context: dict[str, Any],
               principal: Principal) -> AssignmentIn:
    try:
        return AssignmentIn.model_validate(_body(values))
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            field = _field_of(problem)
            text = NO_REP if field == "user_ids" and not values["user_ids"] else problem["msg"]
            problems.setdefault(field, text)
        raise FormRejected(TEMPLATE, context, "Please correct the fields marked below.", 422,
                           problems, principal) from None


# ------------------------------------------------------------------------------ admin page


async def _admin_page(session: DbSession, principal: Principal, status: Status | None,
                      cursor: str | None, **extra: Any) -> dict[str, Any]:
    """The form's choices and a page of the company's assignments. The list comes first: it
    refuses an operator (of no company) before the reps are read for a company."""
    items, next_cursor = await service.list_assignments(
        session, principal, user_id=None, scenario_id=None, status=status, cursor=cursor,
        limit=PAGE_SIZE)
    company_id = principal.user.company_id
    reps = await users.list_accounts(session, company_id=company_id, role=Role.USER, after=None,
                                     limit=service.MAX_MEMBERS)
    library = await scenarios.library(session, company_id)
    return {"nav": "admin", "tab": "assignments", "items": items, "next_cursor": next_cursor,
            "cursor": cursor, "status_filter": status or "",
            "reps": [rep for rep in reps if rep.disabled_at is None],
            "built_ins": [s for s in library if s.built_in],
            "own": [s for s in library if not s.built_in],
            "form": {"user_ids": [], "all": False}, **extra}


@router.get("/admin/assignments")
async def assignments_page(
    request: Request, principal: BrowserAdmin, session: DbSession,
    status: StatusFilter = None, cursor: Cursor = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    context = await _admin_page(session, principal, status, cursor)
    return render(request, TEMPLATE, {**context, "message": _done(done)}, principal=principal)


@router.post("/admin/assignments", dependencies=[CsrfChecked])
async def assign(request: Request, principal: BrowserAdmin, session: DbSession,
                 ip: ClientIp) -> Response:
    values = await _posted(request)
    context = await _admin_page(session, principal, None, None, form=values)
    with form_errors(TEMPLATE, context, principal=principal):
        body = _validated(values, context, principal)
        await service.assign(session, principal, body, ip)
    return redirect(request, "/admin/assignments?done=assigned")


@router.post("/admin/assignments/{assignment_id}/withdraw", dependencies=[CsrfChecked])
async def withdraw(request: Request, assignment_id: UUID, principal: BrowserAdmin,
                   session: DbSession, ip: ClientIp) -> Response:
    await service.withdraw(session, principal, assignment_id, ip)  # another company's: 404
    return redirect(request, "/admin/assignments?done=withdrawn")


# -------------------------------------------------------------------------------- rep page


@router.get("/assignments")
async def my_assignments(request: Request, principal: BrowserUser, session: DbSession,
                         cursor: Cursor = None) -> Response:
    """The signed-in member's own (an admin's too: only what they were assigned themselves);
    an operator, of no company, is refused as by /api/assignments."""
    items, next_cursor = await service.list_assignments(
        session, principal, user_id=principal.user.id, scenario_id=None, status=None,
        cursor=cursor, limit=PAGE_SIZE)
    return render(request, "assignments/mine.html",
                  {"nav": "assignments", "items": items, "next_cursor": next_cursor,
                   "cursor": cursor}, principal=principal)
