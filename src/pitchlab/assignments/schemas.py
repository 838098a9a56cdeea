"""Request and response bodies of the assignment endpoints (API.md, "Scenarios and scorecards")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, model_validator

from pitchlab.http.validation import NO_NUL_PATTERN, JsonDatetime, JsonUUID, RequestBody

MAX_USERS_PER_REQUEST = 500
Status = Literal["open", "completed", "overdue"]


class AssignmentIn(RequestBody):
    """A scenario for some reps (`user_ids`) or for every active rep of the company now
    (`all: true`): exactly one of the two."""

    scenario_id: str = Field(min_length=1, max_length=100, pattern=NO_NUL_PATTERN,
                             description="A built-in scenario's id or one of the company's own.")
    user_ids: list[JsonUUID] | None = Field(default=None, min_length=1,
                                            max_length=MAX_USERS_PER_REQUEST)
    all: bool = Field(default=False, description="Every active rep (role `user`) of the company.")
    # a date-time never holds a NUL: the pattern says so to clients, the parser enforces it
    due_at: JsonDatetime | None = Field(default=None, description="With a time zone; not past.",
                                        json_schema_extra={"pattern": NO_NUL_PATTERN})
    target_score: float | None = Field(default=None, ge=1, le=5, allow_inf_nan=False,
                                       description="1 to 5, at most two decimal places.")

    @model_validator(mode="after")
    def _rules(self) -> AssignmentIn:
        if (self.user_ids is None) == (not self.all):
            raise ValueError("give either `user_ids` or `all: true`, not both")
        if self.target_score is not None and round(self.target_score, 2) != self.target_score:
            raise ValueError("`target_score` has at most two decimal places")
        if self.due_at is not None and self.due_at < datetime.now(UTC):
            raise ValueError("`due_at` is in the past")
        return self


class ScenarioRef(BaseModel):
    id: str
    name: str
    call_type: str


class AssignmentOut(BaseModel):
    id: UUID
    scenario: ScenarioRef
    user_id: UUID
    user_name: str | None
    due_at: datetime | None
    target_score: float | None
    best_score: float | None = Field(description="The best score of the rep's calls in the "
                                     "scenario since it was assigned.")
    completed_at: datetime | None = Field(description="When the first call reaching the target "
                                          "(any scored call, without a target) ended.")
    overdue: bool = Field(description="Not completed and past its due date.")


class AssignmentsMade(BaseModel):
    items: list[AssignmentOut]


class AssignmentList(BaseModel):
    items: list[AssignmentOut]
    next_cursor: str | None
