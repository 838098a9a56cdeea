"""Request and response bodies of the scenario endpoints (API.md, "Scenarios and scorecards")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from pitchlab.http.validation import NO_NUL_PATTERN, NOT_BLANK_PATTERN, JsonUUID, RequestBody
from pitchlab.scenarios.library import REAL_CALL, Scenario

CallType = Literal["cold_call", "discovery", "demo", "objection_handling", "closing"]
Difficulty = Literal["easy", "medium", "hard"]
Language = Literal["en", "es", "de", "fr"]
MAX_LIST_ITEMS = 10



Name = Annotated[str, Field(min_length=1, max_length=120, pattern=NOT_BLANK_PATTERN),
                 AfterValidator(str.strip)]
Line = Annotated[str, Field(min_length=1, max_length=300, pattern=NOT_BLANK_PATTERN),
                 AfterValidator(str.strip)]
Sentence = Annotated[str, Field(min_length=1, max_length=1000, pattern=NOT_BLANK_PATTERN),
                     AfterValidator(str.strip)]
Prose = Annotated[str, Field(max_length=2000, pattern=NO_NUL_PATTERN), AfterValidator(str.strip)]
Lines = Annotated[list[Line], Field(min_length=1, max_length=MAX_LIST_ITEMS)]


class PersonaIn(RequestBody):
    """Who the prospect is."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=NOT_BLANK_PATTERN),
                    AfterValidator(str.strip)]
    title: Name
    personality: Line
    company: Name | None = Field(default=None, description="The prospect's company's name "
                                 "(optional: the background may describe it instead).")


class _ScenarioFields(RequestBody):
    """Every field of a company scenario, each rule written once (POST requires the ones
    without a default; PATCH takes any of them)."""

    name: Name
    description: Prose = ""
    persona: PersonaIn
    company_background: Prose = Field(default="", description="What the prospect's company "
                                      "does and where it stands: told to the prospect.")
    call_type: CallType
    difficulty: Difficulty
    language: Language = "en"
    pains: Lines = Field(description=f"1 to {MAX_LIST_ITEMS}, each at most 300 characters: "
                         "revealed one by one to good open questions.")
    objections: Lines = Field(description=f"1 to {MAX_LIST_ITEMS}, each at most 300 "
                              "characters: raised one at a time.")
    success_criteria: Sentence = Field(description="What earns the next step.")
    first_message: Line = Field(description="The prospect's first line as the call begins.")
    scorecard_id: JsonUUID | None = Field(
        default=None, description="One of the company's own scorecards (not archived), which "
        "calls in this scenario are graded on; null: the five standard skills.",
        json_schema_extra={"pattern": NO_NUL_PATTERN})


class ScenarioIn(_ScenarioFields):
    """A new company scenario."""


class ScenarioChange(RequestBody):
    """Fields left out stay as they are; `scorecard_id: null` detaches the scorecard."""

    name: Name | None = None
    description: Prose | None = None
    persona: PersonaIn | None = None
    company_background: Prose | None = None
    call_type: CallType | None = None
    difficulty: Difficulty | None = None
    language: Language | None = None
    pains: Lines | None = None
    objections: Lines | None = None
    success_criteria: Sentence | None = None
    first_message: Line | None = None
    scorecard_id: JsonUUID | None = Field(default=None,
                                          json_schema_extra={"pattern": NO_NUL_PATTERN})


class ScenarioOut(BaseModel):
    """A scenario as the library lists it, and as a call names it."""

    id: str = Field(description="A built-in's slug or a company scenario's UUID.")
    name: str
    description: str
    difficulty: str
    call_type: str | None = Field(
        default=None, description="cold_call, discovery, demo, objection_handling or closing: "
        "the feedback's reference bands follow it (null: a retired scenario).")
    language: str | None = None
    built_in: bool = True
    scorecard_id: UUID | None = None
    persona: dict[str, object]

    @classmethod
    def of(cls, scenario: Scenario) -> ScenarioOut:
        p = scenario.persona
        return cls(
            id=scenario.id, name=scenario.name, description=scenario.description,
            difficulty=scenario.difficulty, call_type=scenario.call_type,
            language=scenario.language, built_in=scenario.built_in,
            scorecard_id=scenario.scorecard_id,
            persona={"name": p.name, "title": p.title, "company": p.company,
                     "personality": p.personality, "win_condition": p.win_condition},
        )

    @classmethod
    def real_call(cls) -> ScenarioOut:
        """An uploaded recording's call: a real conversation, no role-play."""
        return cls(id=REAL_CALL, name="Real call", description="An uploaded recording or "
                   "meeting transcript of a real conversation (GET /api/recordings).",
                   difficulty="real", built_in=True, persona={})

    @classmethod
    def retired(cls, scenario_id: str) -> ScenarioOut:
        """A call's scenario that is no longer anywhere: its history still names the id."""
        return cls(id=scenario_id, name="Retired scenario",
                   description="This scenario is no longer in the library: GET /api/scenarios "
                   "lists the current ones.", difficulty="unknown", persona={})


class ScenarioList(BaseModel):
    items: list[ScenarioOut]


class PersonaOut(BaseModel):
    name: str
    title: str
    personality: str
    company: str | None


class ScenarioDetail(BaseModel):
    """The whole scenario (built-ins too, read-only: their dates are null)."""

    id: str
    built_in: bool
    name: str
    description: str
    persona: PersonaOut
    company_background: str
    call_type: str
    difficulty: str
    language: str
    pains: list[str]
    objections: list[str]
    success_criteria: str
    first_message: str
    scorecard_id: UUID | None
    archived_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
