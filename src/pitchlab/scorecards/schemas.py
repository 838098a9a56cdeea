"""Request and response bodies of the scorecard endpoints (API.md, "Scenarios and scorecards")."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pitchlab.http.validation import NO_NUL_PATTERN, NOT_BLANK_PATTERN, RequestBody
from pitchlab.models.values import Methodology

MAX_CRITERIA = 12
CRITERION_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
TemplateName = Literal["meddic", "spin", "bant", "challenger"]


class AnchorsIn(RequestBody):
    """What a rep does at 1, 3 and 5: each a sentence, none blank."""

    one: str = Field(alias="1", min_length=1, max_length=300, pattern=NOT_BLANK_PATTERN)
    three: str = Field(alias="3", min_length=1, max_length=300, pattern=NOT_BLANK_PATTERN)
    five: str = Field(alias="5", min_length=1, max_length=300, pattern=NOT_BLANK_PATTERN)

    @field_validator("one", "three", "five")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()


class CriterionIn(RequestBody):
    id: str | None = Field(
        default=None, max_length=100, pattern=CRITERION_ID_PATTERN,
        description="Left out for a new criterion (the server makes its id); on PATCH, the id "
        "of a criterion of the current version keeps that criterion's id. A criterion without "
        "an id whose name matches a current one (case-insensitive) keeps that one's id too.",
    )
    name: str = Field(min_length=1, max_length=80, pattern=NOT_BLANK_PATTERN)
    description: str = Field(default="", max_length=500, pattern=NO_NUL_PATTERN)
    weight: float = Field(gt=0, le=100, allow_inf_nan=False,
                          description="Relative weight: a positive number, at most 100.")
    anchors: AnchorsIn

    @field_validator("name", "description")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()


def _unique_names(criteria: list[CriterionIn]) -> list[CriterionIn]:
    seen: set[str] = set()
    for criterion in criteria:
        key = criterion.name.casefold()
        if key in seen:
            raise ValueError(
                f"criterion names must be unique (case-insensitive): {criterion.name!r} "
                "appears more than once"
            )
        seen.add(key)
    return criteria


CRITERIA_DESCRIPTION = (
    f"1 to {MAX_CRITERIA} criteria, names unique (case-insensitive), each with a weight and "
    'anchors "1", "3" and "5".'
)


class _NameAndCriteria(RequestBody):
    """What a new scorecard and a change share: a name and criteria, each rule written once."""

    name: str | None = Field(default=None, min_length=1, max_length=120,
                             pattern=NOT_BLANK_PATTERN)
    criteria: list[CriterionIn] | None = Field(default=None, min_length=1,
                                               max_length=MAX_CRITERIA,
                                               description=CRITERIA_DESCRIPTION)

    @field_validator("name")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("criteria")
    @classmethod
    def _unique(cls, value: list[CriterionIn] | None) -> list[CriterionIn] | None:
        return _unique_names(value) if value is not None else None


class ScorecardIn(_NameAndCriteria):
    """From scratch (`name` and `criteria`: methodology `custom`) or from a template (`template`,
    and optionally `name`; the template's criteria, which PATCH may then edit)."""

    template: TemplateName | None = None

    @model_validator(mode="after")
    def _scratch_or_template(self) -> ScorecardIn:
        if (self.template is None) == (self.criteria is None):
            raise ValueError("give either `template` or `criteria` (from scratch), not both")
        if self.criteria is not None and self.name is None:
            raise ValueError("a scorecard from scratch needs a `name`")
        return self


class ScorecardChange(_NameAndCriteria):
    """Fields left out stay as they are. New `criteria` replace the current ones as a new
    version (the old version stays readable)."""


class AnchorsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    one: str = Field(alias="1")
    three: str = Field(alias="3")
    five: str = Field(alias="5")


class CriterionOut(BaseModel):
    id: str
    name: str
    description: str
    weight: float
    anchors: AnchorsOut

    @classmethod
    def of(cls, stored: dict[str, Any]) -> CriterionOut:
        return cls.model_validate(stored)


class ScorecardOut(BaseModel):
    id: UUID
    name: str
    methodology: Methodology
    version: int
    criteria: list[CriterionOut]


class ScorecardList(BaseModel):
    items: list[ScorecardOut]


class TemplateOut(BaseModel):
    methodology: Methodology
    name: str
    description: str
    criteria: list[CriterionOut]


class TemplateList(BaseModel):
    items: list[TemplateOut]
