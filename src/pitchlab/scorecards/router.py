"""The scorecard endpoints: a company's own grading criteria, read by every member, written by
its admins, each criteria change kept as a new version."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import ClientIp, DbSession
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import Unauthorized
from pitchlab.scorecards import service
from pitchlab.scorecards.errors import (
    CompanyMembersOnly,
    ScorecardAdminsOnly,
    ScorecardNotFound,
    UnknownCriterion,
)
from pitchlab.scorecards.schemas import (
    ScorecardChange,
    ScorecardIn,
    ScorecardList,
    ScorecardOut,
    TemplateList,
)

router = APIRouter(prefix="/api/scorecards", tags=["scorecards"])

_SHAPE = (
    "A scorecard is `{id, name, methodology, version, criteria: [{id, name, description, "
    'weight, anchors: {"1", "3", "5"}}]}`. '
)
_OPERATORS = (
    "A platform operator (super_admin) belongs to no company and has no scorecards: 403, as for "
    "the company's own settings (GET /api/admin/company). "
)


@router.get(
    "/templates",
    response_model=TemplateList,
    summary="The methodology templates (MEDDIC, SPIN, BANT, Challenger)",
    description="The templates a scorecard can start from (POST /api/scorecards with "
    '`{"template": ...}`): each criterion with a description, a weight and what a rep does at '
    '1, 3 and 5. The same for every caller signed in.',
    responses=error_responses(Unauthorized),
)
async def list_templates(_principal: CurrentPrincipal) -> TemplateList:
    return TemplateList(items=service.templates())


@router.get(
    "",
    response_model=ScorecardList,
    summary="The company's scorecards",
    description=_SHAPE + "Any member of the company (rep or admin) reads them; archived ones "
    "are not listed. Oldest first. " + _OPERATORS,
    responses=error_responses(Unauthorized, CompanyMembersOnly),
)
async def list_scorecards(principal: CurrentPrincipal, session: DbSession) -> ScorecardList:
    return ScorecardList(items=await service.list_scorecards(session, principal))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ScorecardOut,
    summary="Create a scorecard, from scratch or from a template (company admins)",
    description=_SHAPE + "Either `{name, criteria}` from scratch (methodology `custom`), or "
    '`{"template": "meddic" | "spin" | "bant" | "challenger", "name"?}`: the template\'s '
    "criteria as they are (methodology the template's), which PATCH may then edit. Not both "
    "(422). Criteria: 1 to 12, names unique (case-insensitive) and 1-80 characters, "
    "description at most 500, weight above 0 and at most 100, anchors \"1\", \"3\" and \"5\" "
    "each non-blank and at most 300 characters; the server makes each criterion's id (a slug "
    "of its name). Version 1. Reps: 403. " + _OPERATORS + "Recorded in the audit log as "
    "`scorecard.created`.",
    responses=error_responses(Unauthorized, ScorecardAdminsOnly, 422),
    openapi_extra={"x-roles": ["admin"]},
)
async def create_scorecard(
    body: ScorecardIn, principal: CurrentPrincipal, session: DbSession, ip: ClientIp
) -> ScorecardOut:
    return await service.create(session, principal, body, ip)


@router.patch(
    "/{scorecard_id:uuid}",  # not "/templates": other methods there answer 405
    response_model=ScorecardOut,
    summary="Rename a scorecard or change its criteria (company admins)",
    description=_SHAPE + "Fields left out stay as they are. `name` alone keeps the version. "
    "`criteria` replace the current ones as the next version (`version` + 1); the previous "
    "version stays stored, so reports scored with it stay readable. A criterion keeps its id "
    "when it gives it, or, without an id, when its name matches a current criterion's "
    "(case-insensitive); an id the current version lacks is 422 `unknown_criterion`. Criteria "
    "rules as for POST. Another company's scorecard (or an unknown or archived one) is 404. "
    "Reps: 403. " + _OPERATORS + "Recorded in the audit log as `scorecard.changed`.",
    responses=error_responses(Unauthorized, ScorecardAdminsOnly, ScorecardNotFound,
                              UnknownCriterion, 422),
    openapi_extra={"x-roles": ["admin"]},
)
async def change_scorecard(
    scorecard_id: UUID, body: ScorecardChange, principal: CurrentPrincipal, session: DbSession,
    ip: ClientIp,
) -> ScorecardOut:
    return await service.change(session, principal, scorecard_id, body, ip)
