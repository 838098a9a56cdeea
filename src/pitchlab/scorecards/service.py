"""Scorecard rules: who may read and write a company's scorecards, templates, and versions.

A scorecard's criteria are never changed in place: a PATCH with criteria writes the next version
row and points the scorecard at it, so a report that names an older version can still read it.
Criterion ids are slugs of the name, stable across versions: an edit keeps the id of each
criterion it keeps (named by id, or by the same name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.audit import service as audit
from pitchlab.auth.dependencies import Principal
from pitchlab.models import Scorecard, ScorecardVersion
from pitchlab.models.values import AuditAction, Methodology
from pitchlab.scorecards import repository
from pitchlab.scorecards.errors import (
    CompanyMembersOnly,
    ScorecardAdminsOnly,
    ScorecardNotFound,
    UnknownCriterion,
)
from pitchlab.scorecards.schemas import (
    CriterionIn,
    CriterionOut,
    ScorecardChange,
    ScorecardIn,
    ScorecardOut,
    TemplateOut,
)
from pitchlab.scorecards.templates import TEMPLATES

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def templates() -> list[TemplateOut]:
    return [
        TemplateOut(methodology=t.methodology, name=t.name, description=t.description,
                    criteria=[CriterionOut.of(c) for c in t.criteria])
        for t in TEMPLATES.values()
    ]


def _company_of(principal: Principal) -> UUID:
    return principal.company_id_or(CompanyMembersOnly)


def _admins_company(principal: Principal) -> UUID:
    return principal.admins_company_id_or(CompanyMembersOnly, ScorecardAdminsOnly)


def out(scorecard: Scorecard, version: ScorecardVersion) -> ScorecardOut:
    return ScorecardOut(id=scorecard.id, name=scorecard.name, methodology=scorecard.methodology,
                        version=scorecard.version,
                        criteria=[CriterionOut.of(c) for c in version.criteria])


async def list_scorecards(session: AsyncSession, principal: Principal) -> list[ScorecardOut]:
    rows = await repository.list_active(session, _company_of(principal))
    return [out(scorecard, version) for scorecard, version in rows]


def _slug(name: str) -> str:
    return _NOT_SLUG.sub("-", name.casefold()).strip("-")[:60].strip("-") or "criterion"


def _stored(
    criteria: list[CriterionIn], previous: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The criteria as stored in a version: ids kept for the criteria the previous version had
    (by id, else by name), new slugs for the others. An id the previous version lacks is
    refused."""
    previous = previous or []
    known_ids = {c["id"] for c in previous}
    by_name = {c["name"].casefold(): c["id"] for c in previous}
    for criterion in criteria:
        if criterion.id is not None and criterion.id not in known_ids:
            raise UnknownCriterion(
                f"No criterion of this scorecard's current version has the id {criterion.id!r}: "
                "leave `id` out for a new criterion."
            )
    kept: list[str | None] = [
        c.id if c.id is not None else by_name.get(c.name.casefold()) for c in criteria
    ]
    taken = {i for i in kept if i is not None}
    if len(taken) != len([i for i in kept if i is not None]):
        raise UnknownCriterion("Two criteria name the same id: each criterion keeps its own.")
    stored = []
    for criterion, kept_id in zip(criteria, kept, strict=True):
        criterion_id = kept_id
        if criterion_id is None:
            base = _slug(criterion.name)
            criterion_id, n = base, 2
            while criterion_id in taken or criterion_id in known_ids:
                criterion_id, n = f"{base}-{n}", n + 1
            taken.add(criterion_id)
        stored.append({
            "id": criterion_id, "name": criterion.name, "description": criterion.description,
            "weight": criterion.weight,
            "anchors": {"1": criterion.anchors.one, "3": criterion.anchors.three,
                        "5": criterion.anchors.five},
        })
    return stored


async def create(
    session: AsyncSession, principal: Principal, body: ScorecardIn, ip: str | None = None
) -> ScorecardOut:
    company_id = _admins_company(principal)
    if body.template is not None:
        template = TEMPLATES[body.template]
        name, methodology = body.name or template.name, template.methodology
        criteria = [dict(c, anchors=dict(c["anchors"])) for c in template.criteria]
    else:
        assert body.criteria is not None and body.name is not None  # the schema's rule
        name, methodology, criteria = body.name, Methodology.CUSTOM, _stored(body.criteria)
    scorecard = Scorecard(company_id=company_id, name=name, methodology=methodology, version=1)
    version = await repository.add(session, scorecard, criteria)
    await audit.record(session, AuditAction.SCORECARD_CREATED, actor_id=principal.user.id,
                       company_id=company_id, target_type="scorecard", target_id=scorecard.id,
                       ip=ip, details={"methodology": methodology.value, "version": 1})
    return out(scorecard, version)


async def change(
    session: AsyncSession, principal: Principal, scorecard_id: UUID, body: ScorecardChange,
    ip: str | None = None,
) -> ScorecardOut:
    company_id = _admins_company(principal)
    scorecard = await repository.locked(session, company_id, scorecard_id)
    if scorecard is None or scorecard.archived_at is not None:
        raise ScorecardNotFound
    current = await repository.version_of(session, scorecard.id, scorecard.version)
    assert current is not None  # written with the scorecard, never deleted
    changed: dict[str, Any] = {}
    if body.name is not None and body.name != scorecard.name:
        scorecard.name = body.name
        changed["name"] = True
    if body.criteria is not None:
        criteria = _stored(body.criteria, current.criteria)
        if criteria != current.criteria:
            scorecard.version += 1
            current = await repository.add_version(session, scorecard, criteria)
            changed["version"] = scorecard.version
    if changed:
        await session.flush()
        await audit.record(session, AuditAction.SCORECARD_CHANGED, actor_id=principal.user.id,
                           company_id=company_id, target_type="scorecard",
                           target_id=scorecard.id, ip=ip, details=changed)
    return out(scorecard, current)


@dataclass(frozen=True)
class CurrentCriteria:
    """What a call is scored on: the scorecard's current version and its criteria (each
    ``{id, name, description, weight, anchors}``)."""

    id: UUID
    name: str
    methodology: Methodology
    version: int
    criteria: list[dict[str, Any]]


async def current_criteria(
    session: AsyncSession, company_id: UUID, scorecard_id: UUID
) -> CurrentCriteria | None:
    """The company's scorecard as it is now (archived ones too: a scenario still names it),
    or None: no such scorecard for this company."""
    found = await repository.with_current_version(session, company_id, scorecard_id)
    if found is None:
        return None
    scorecard, version = found
    return CurrentCriteria(scorecard.id, scorecard.name, scorecard.methodology,
                           scorecard.version, version.criteria)


async def is_active(session: AsyncSession, company_id: UUID, scorecard_id: UUID) -> bool:
    """Whether the company has this scorecard and it is not archived (what a scenario may be
    graded on). Locked, so that it stays so until the caller's transaction ends."""
    scorecard = await repository.locked(session, company_id, scorecard_id)
    return scorecard is not None and scorecard.archived_at is None
