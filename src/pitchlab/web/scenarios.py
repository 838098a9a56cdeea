"""A company's scenario pages for its admins: the library (the company's own, the archived ones
and the built-ins), a new scenario, one scenario's edit form, archive and duplicate. Each form
goes through the same service as POST/PATCH /api/scenarios, validated with the API's own models;
a built-in (read-only) and an archived scenario are shown, not edited, with a way to copy them."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from pitchlab.auth.dependencies import Principal
from pitchlab.deps import ClientIp
from pitchlab.providers.prospect import LANGUAGE_NAMES
from pitchlab.scenarios import service
from pitchlab.scenarios.library import SCENARIOS
from pitchlab.scenarios.schemas import MAX_LIST_ITEMS, ScenarioChange, ScenarioDetail, ScenarioIn
from pitchlab.scorecards import service as scorecards
from pitchlab.web.pages import redirect, render
from pitchlab.web.public import form_values
from pitchlab.web.routing import FormRejected, WebRoute, form_errors
from pitchlab.web.scorecards import scorecard_choices
from pitchlab.web.session import BrowserAdmin, CsrfChecked
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

CALL_TYPES = (("cold_call", "Cold call"), ("discovery", "Discovery"), ("demo", "Demo"),
              ("objection_handling", "Objection handling"), ("closing", "Closing"))
DIFFICULTIES = (("easy", "Easy"), ("medium", "Medium"), ("hard", "Hard"))
LANGUAGES = tuple(LANGUAGE_NAMES.items())
TEXT_FIELDS = ("name", "description", "persona_name", "persona_title", "persona_personality",
               "persona_company", "company_background", "call_type", "difficulty", "language",
               "pains", "objections", "success_criteria", "first_message", "scorecard_id")
PERSONA_FIELDS = ("name", "title", "personality", "company")
LIST_FIELDS = {"pains": "Pains", "objections": "Objections"}
DONE = {"created": "The scenario is created.", "saved": "The scenario is saved.",
        "archived": "The scenario is archived: reps no longer see it; past calls keep its name.",
        "copied": "This is a copy: change what you need and save it."}


def _lines(text: str) -> list[str]:
    """A textarea's entries, one per line (blank lines left out)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _body_of(values: dict[str, str]) -> dict[str, Any]:
    """The API's body from the form's fields (every field given: the edit form shows them all)."""
    persona: dict[str, str | None] = {field: values[f"persona_{field}"] or None
                                      for field in PERSONA_FIELDS}
    return {
        "name": values["name"], "description": values["description"], "persona": persona,
        "company_background": values["company_background"], "call_type": values["call_type"],
        "difficulty": values["difficulty"], "language": values["language"],
        "pains": _lines(values["pains"]), "objections": _lines(values["objections"]),
        "success_criteria": values["success_criteria"],
        "first_message": values["first_message"], "scorecard_id": values["scorecard_id"] or None,
    }


def _form_of(scenario: ScenarioDetail) -> dict[str, str]:
    """A scenario's fields as the form shows them (lists one entry per line)."""
    return {
        "name": scenario.name, "description": scenario.description,
        "persona_name": scenario.persona.name, "persona_title": scenario.persona.title,
        "persona_personality": scenario.persona.personality,
        "persona_company": scenario.persona.company or "",
        "company_background": scenario.company_background, "call_type": scenario.call_type,
        "difficulty": scenario.difficulty, "language": scenario.language,
        "pains": "\n".join(scenario.pains), "objections": "\n".join(scenario.objections),
        "success_criteria": scenario.success_criteria,
        "first_message": scenario.first_message,
        "scorecard_id": str(scenario.scorecard_id or ""),
    }


def _field_and_message(location: tuple[Any, ...], message: str) -> tuple[str, str]:
    """Which form field a refusal belongs to, and its message (a list's line numbered)."""
    if not location:
        return "form", message
    head = location[0]
    if head == "persona" and len(location) > 1:
        return f"persona_{location[1]}", message
    if head in LIST_FIELDS and len(location) > 1 and isinstance(location[1], int):
        return str(head), f"{LIST_FIELDS[head]}, line {location[1] + 1}: {message}"
    if head in LIST_FIELDS and "at most" in message:
        return str(head), f"At most {MAX_LIST_ITEMS} lines."
    return str(head), message


def _validated(model: type[M], data: dict[str, Any], template: str, context: dict[str, Any],
               principal: Principal) -> M:
    """``model`` validated; each refusal shown on its own field of the form."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            field, message = _field_and_message(tuple(problem["loc"]), problem["msg"])
            problems.setdefault(field, message)
        raise FormRejected(template, context, "Please correct the fields marked below.", 422,
                           problems, principal) from None


async def _choices(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """What the form's selects offer: the call types, levels, languages and the company's
    scorecards (archived ones cannot be chosen)."""
    return {"call_types": CALL_TYPES, "difficulties": DIFFICULTIES, "languages": LANGUAGES,
            "scorecard_options": await scorecard_choices(session, principal)}


def _done(done: str | None) -> str | None:
    return DONE.get(done or "")


# ------------------------------------------------------------------------------------ list


@router.get("/admin/scenarios")
async def scenarios_page(
    request: Request, principal: BrowserAdmin, session: DbSession,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    live, archived = await service.own_scenarios(session, principal)
    names = {card.id: card.name for card in await scorecards.list_scorecards(session, principal)}
    context = {"nav": "admin", "tab": "scenarios", "own": live, "archived": archived,
               "built_ins": SCENARIOS, "scorecard_names": names,
               "labels": dict(CALL_TYPES), "language_names": dict(LANGUAGES),
               "message": _done(done)}
    return render(request, "admin/scenarios.html", context, principal=principal)


# ------------------------------------------------------------------------------------- new


@router.get("/admin/scenarios/new")
async def new_page(request: Request, principal: BrowserAdmin, session: DbSession) -> Response:
    context = {"nav": "admin", "tab": "scenarios", "form": {"language": "en"},
               **await _choices(session, principal)}
    return render(request, "admin/scenarios_new.html", context, principal=principal)


@router.post("/admin/scenarios/new", dependencies=[CsrfChecked])
async def create_scenario(request: Request, principal: BrowserAdmin, session: DbSession,
                          ip: ClientIp) -> Response:
    values = await form_values(request, *TEXT_FIELDS)
    context = {"nav": "admin", "tab": "scenarios", "form": values,
               **await _choices(session, principal)}
    with form_errors("admin/scenarios_new.html", context, principal=principal):
        body = _validated(ScenarioIn, _body_of(values), "admin/scenarios_new.html", context,
                          principal)
        created = await service.create(session, principal, body, ip)
    return redirect(request, f"/admin/scenarios/{created.id}?done=created")


# ------------------------------------------------------------------------ one scenario


async def _edit(session: AsyncSession, principal: Principal, scenario: ScenarioDetail,
                form: dict[str, str] | None) -> dict[str, Any]:
    return {"nav": "admin", "tab": "scenarios", "scenario": scenario,
            "form": form or _form_of(scenario), "editable": _editable(scenario),
            "labels": dict(CALL_TYPES), "language_names": dict(LANGUAGES),
            **await _choices(session, principal)}


def _editable(scenario: ScenarioDetail) -> bool:
    return not scenario.built_in and scenario.archived_at is None


ScenarioId = Annotated[str, Path(max_length=100)]


@router.get("/admin/scenarios/{scenario_id}")
async def scenario_page(
    request: Request, scenario_id: ScenarioId,
    principal: BrowserAdmin, session: DbSession,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    scenario = await service.admin_detail(session, principal, scenario_id)
    context = await _edit(session, principal, scenario, None)
    return render(request, "admin/scenarios_edit.html", {**context, "message": _done(done)},
                  principal=principal)


@router.post("/admin/scenarios/{scenario_id}", dependencies=[CsrfChecked])
async def change_scenario(request: Request, scenario_id: ScenarioId, principal: BrowserAdmin,
                          session: DbSession, ip: ClientIp) -> Response:
    scenario = await service.admin_detail(session, principal, scenario_id)
    values = await form_values(request, *TEXT_FIELDS)
    context = await _edit(session, principal, scenario, values)
    with form_errors("admin/scenarios_edit.html", context, principal=principal):
        body = _validated(ScenarioChange, _body_of(values), "admin/scenarios_edit.html",
                          context, principal)
        await service.change(session, principal, scenario_id, body, ip)
    return redirect(request, f"/admin/scenarios/{scenario_id}?done=saved")


@router.post("/admin/scenarios/{scenario_id}/archive", dependencies=[CsrfChecked])
async def archive_scenario(request: Request, scenario_id: ScenarioId, principal: BrowserAdmin,
                           session: DbSession, ip: ClientIp) -> Response:
    await service.archive(session, principal, scenario_id, ip)
    return redirect(request, "/admin/scenarios?done=archived")


@router.post("/admin/scenarios/{scenario_id}/duplicate", dependencies=[CsrfChecked])
async def duplicate_scenario(request: Request, scenario_id: ScenarioId, principal: BrowserAdmin,
                             session: DbSession, ip: ClientIp) -> Response:
    copy = await service.duplicate(session, principal, scenario_id, ip)
    return redirect(request, f"/admin/scenarios/{copy.id}?done=copied")
