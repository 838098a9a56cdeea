"""A company's scorecard pages for its admins: the list, one from a template, one from scratch,
and the edit form (rename, change/add/remove criteria). Each form goes through the same service
as POST /api/scorecards or PATCH /api/scorecards/{id}, validated with the API's own models."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from pitchlab.auth.dependencies import Principal
from pitchlab.deps import ClientIp
from pitchlab.scorecards import service
from pitchlab.scorecards.errors import ScorecardNotFound
from pitchlab.scorecards.schemas import MAX_CRITERIA, ScorecardChange, ScorecardIn, ScorecardOut
from pitchlab.web.pages import redirect, render
from pitchlab.web.public import decimal_or_text, form_values
from pitchlab.web.routing import FormRejected, WebRoute, form_errors
from pitchlab.web.session import BrowserAdmin, CsrfChecked
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

TEMPLATE_CHOICES = (("meddic", "MEDDIC"), ("spin", "SPIN"), ("bant", "BANT"),
                    ("challenger", "Challenger"))
ROW_FIELDS = ("id", "name", "description", "weight", "a1", "a3", "a5")
ROW = re.compile(r"^c(\d{1,2})-name$")
DONE = {"created": "The scorecard is created.", "saved": "The scorecard is saved."}


def _rows_of(scorecard: ScorecardOut | None) -> list[dict[str, Any]]:
    """The form's criterion rows: the scorecard's criteria, then one empty row to add one."""
    rows: list[dict[str, Any]] = []
    for criterion in scorecard.criteria if scorecard else []:
        rows.append({"id": criterion.id, "name": criterion.name,
                     "description": criterion.description, "weight": f"{criterion.weight:g}",
                     "a1": criterion.anchors.one, "a3": criterion.anchors.three,
                     "a5": criterion.anchors.five, "remove": False})
    rows.append({**dict.fromkeys(ROW_FIELDS, ""), "remove": False})
    return rows


async def _posted_rows(request: Request) -> list[dict[str, Any]]:
    """The criterion rows as typed, in the form's order."""
    form = await request.form()
    indexes = sorted({int(m.group(1)) for key in form if (m := ROW.match(key))})
    return [
        {**{field: str(form.get(f"c{i}-{field}") or "").strip() for field in ROW_FIELDS},
         "remove": form.get(f"c{i}-remove") == "on"}
        for i in indexes[: MAX_CRITERIA + 10]
    ]


def _shown_again(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as typed, with an empty row to add one when the last row is filled in."""
    if rows and not any(rows[-1][field] for field in ROW_FIELDS):
        return rows
    return [*rows, {**dict.fromkeys(ROW_FIELDS, ""), "remove": False}]


def _criteria_of(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The API's criteria from the rows kept (neither removed nor left wholly blank), and the
    position of each one's row in the form."""
    criteria, positions = [], []
    for position, row in enumerate(rows):
        if row["remove"] or not any(row[field] for field in ROW_FIELDS):
            continue
        positions.append(position)
        criteria.append({
            **({"id": row["id"]} if row["id"] else {}),
            "name": row["name"], "description": row["description"],
            "weight": decimal_or_text(row["weight"]),
            "anchors": {"1": row["a1"], "3": row["a3"], "5": row["a5"]},
        })
    return criteria, positions


FIELD_LABELS = {"name": "Name", "description": "Description", "weight": "Weight",
                "a1": "At 1", "a3": "At 3", "a5": "At 5"}


def _validated(model: type[M], data: dict[str, Any], positions: list[int], template: str,
               context: dict[str, Any], principal: Principal) -> M:
    """``model`` validated; its refusals of a criterion marked on that row's field (as
    ``c<row>-<field>``, with the criterion named in the message), the others as form_errors
    would show them."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            loc = problem["loc"]
            if (len(loc) >= 3 and loc[0] == "criteria" and isinstance(loc[1], int)
                    and loc[1] < len(positions)):
                part = f"a{loc[3]}" if loc[2] == "anchors" and len(loc) > 3 else str(loc[2])
                row = positions[loc[1]]
                label = FIELD_LABELS.get(part, part)
                problems.setdefault(f"c{row}-{part}",
                                    f"Criterion {row + 1}, {label}: {problem['msg']}")
            else:
                key = next((part for part in loc if isinstance(part, str)), "form")
                problems.setdefault(key, problem["msg"])
        raise FormRejected(template, context, "Please correct the fields marked below.", 422,
                           problems, principal) from None


async def _one(session: DbSession, principal: Principal, scorecard_id: UUID) -> ScorecardOut:
    """The company's scorecard (another company's, or an archived one: not found)."""
    for scorecard in await service.list_scorecards(session, principal):
        if scorecard.id == scorecard_id:
            return scorecard
    raise ScorecardNotFound


async def scorecard_choices(session: DbSession, principal: Principal) -> list[tuple[str, str]]:
    """A select's options of the company's live scorecards, "none" first (the scenario and the
    recording forms grade on one of them, or on the five standard skills)."""
    cards = await service.list_scorecards(session, principal)
    return [("", "None: the five standard skills"), *((str(card.id), card.name) for card in cards)]


def _done(done: str | None) -> str | None:
    return DONE.get(done or "")


# ------------------------------------------------------------------------------------ list


async def _list(session: DbSession, principal: Principal, **extra: Any) -> dict[str, Any]:
    return {"nav": "admin", "tab": "scorecards",
            "scorecards": await service.list_scorecards(session, principal),
            "choices": TEMPLATE_CHOICES, "form": {}, **extra}


@router.get("/admin/scorecards")
async def scorecards_page(request: Request, principal: BrowserAdmin,
                          session: DbSession) -> Response:
    context = await _list(session, principal)
    return render(request, "admin/scorecards.html", context, principal=principal)


@router.post("/admin/scorecards", dependencies=[CsrfChecked])
async def from_template(request: Request, principal: BrowserAdmin, session: DbSession,
                        ip: ClientIp) -> Response:
    values = await form_values(request, "template", "name")
    context = await _list(session, principal, form=values)
    with form_errors("admin/scorecards.html", context, principal=principal):
        body = ScorecardIn.model_validate({"template": values["template"],
                                           "name": values["name"] or None})
        created = await service.create(session, principal, body, ip)
    return redirect(request, f"/admin/scorecards/{created.id}?done=created")


# ------------------------------------------------------------------------------------- new


def _new(form: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"nav": "admin", "tab": "scorecards", "form": form, "rows": rows}


@router.get("/admin/scorecards/new")
async def new_page(request: Request, principal: BrowserAdmin) -> Response:
    return render(request, "admin/scorecards_new.html", _new({}, _rows_of(None)),
                  principal=principal)


@router.post("/admin/scorecards/new", dependencies=[CsrfChecked])
async def create_scorecard(request: Request, principal: BrowserAdmin, session: DbSession,
                           ip: ClientIp) -> Response:
    values = await form_values(request, "name")
    rows = await _posted_rows(request)
    context = _new(values, _shown_again(rows))
    with form_errors("admin/scorecards_new.html", context, principal=principal):
        criteria, positions = _criteria_of(rows)
        body = _validated(ScorecardIn, {"name": values["name"], "criteria": criteria},
                          positions, "admin/scorecards_new.html", context, principal)
        created = await service.create(session, principal, body, ip)
    return redirect(request, f"/admin/scorecards/{created.id}?done=created")


# ------------------------------------------------------------------------------------ edit


def _edit(scorecard: ScorecardOut, form: dict[str, Any],
          rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"nav": "admin", "tab": "scorecards", "scorecard": scorecard,
            "form": form or {"name": scorecard.name}, "rows": rows}


@router.get("/admin/scorecards/{scorecard_id:uuid}")
async def scorecard_page(
    request: Request, scorecard_id: UUID, principal: BrowserAdmin, session: DbSession,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    scorecard = await _one(session, principal, scorecard_id)
    context = _edit(scorecard, {}, _rows_of(scorecard))
    return render(request, "admin/scorecards_edit.html", {**context, "message": _done(done)},
                  principal=principal)


@router.post("/admin/scorecards/{scorecard_id:uuid}", dependencies=[CsrfChecked])
async def change_scorecard(request: Request, scorecard_id: UUID, principal: BrowserAdmin,
                           session: DbSession, ip: ClientIp) -> Response:
    scorecard = await _one(session, principal, scorecard_id)
    values = await form_values(request, "name")
    rows = await _posted_rows(request)
    context = _edit(scorecard, values, _shown_again(rows) if rows else _rows_of(scorecard))
    with form_errors("admin/scorecards_edit.html", context, principal=principal):
        criteria, positions = _criteria_of(rows)
        body = _validated(ScorecardChange, {"name": values["name"], "criteria": criteria},
                          positions, "admin/scorecards_edit.html", context, principal)
        await service.change(session, principal, scorecard_id, body, ip)
    return redirect(request, f"/admin/scorecards/{scorecard_id}?done=saved")
