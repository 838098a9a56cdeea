"""Response bodies of the analytics endpoints (API.md, "Analytics")."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, Field

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    """Only an ISO date (YYYY-MM-DD): pydantic would read ``0`` as a Unix time."""
    if not isinstance(value, str) or not _ISO_DAY.match(value):
        raise ValueError("a day is an ISO date, YYYY-MM-DD")
    return value


# A window's ``from`` or ``to`` as a query parameter.
IsoDay = Annotated[date, BeforeValidator(_iso_day)]

TREND = (
    "`trend`: the least-squares slope of the score against the call's ordinal number (1 = the "
    "earliest counted call in the window, by end time), times 10 — points gained (negative: "
    "lost) per 10 calls; calls where the skill or criterion was not scored are left out of the "
    "fit. Null under two scored calls. "
)
AVERAGES = (
    "Averages are means over the counted calls (a skill's or criterion's over the calls that "
    "scored it: not-observed skills are ignored), rounded to 2 places (talk ratio to 3). A "
    "call counts when it is completed, has its feedback, and ended inside the window "
    "(`from`/`to`: ISO dates, inclusive, UTC; default the last 90 days up to today; `from` "
    "after `to` or a window over 366 days is 422 `invalid_window`). `minutes` is the sum of "
    "the counted calls' billed minutes. "
)


class Figure(BaseModel):
    average: float | None
    trend: float | None = Field(description=TREND)


class CriterionFigure(Figure):
    name: str = Field(description="The criterion's name as the latest counted call gives it.")


class Rates(BaseModel):
    talk_ratio: float | None = Field(description="Mean of the calls' rep share of talk, 0..1.")
    fillers_per_100_words: float | None = Field(
        description="Mean of the calls' filler words per 100 rep words.")
    questions_per_10_minutes: float | None = Field(
        description="Mean of the calls' rep questions per 10 minutes of call.")


class SeriesPoint(Rates):
    date: date
    calls: int
    score: float | None = Field(description="The day's mean overall score (1..5).")
    skills: dict[str, float] = Field(description="The day's mean of each skill scored.")


class CallTypeFigures(Rates):
    call_type: str | None
    calls: int
    minutes: int
    score: Figure


class MyProgress(Rates):
    calls: int
    minutes: int
    score: Figure = Field(description="The overall score (feedback's one number per call).")
    skills: dict[str, Figure] = Field(
        description="The five standard skills, each always present (null without a score).")
    criteria: dict[str, CriterionFigure] = Field(
        description="Scorecard criteria scored in the window, by criterion id.")
    series: list[SeriesPoint] = Field(description="One point per UTC day with calls, oldest "
                                      "first.")
    by_call_type: list[CallTypeFigures]


class TeamRow(BaseModel):
    user_id: UUID
    name: str | None
    disabled: bool
    calls: int
    minutes: int
    score: Figure
    skills: dict[str, Figure]
    criteria: dict[str, CriterionFigure]
    assignments_completed: int
    assignments_total: int


class TeamPage(BaseModel):
    items: list[TeamRow]
    next_cursor: str | None


class LeaderboardRow(BaseModel):
    user_id: UUID
    name: str | None
    rank: int
    score: float = Field(description="Mean overall score over the window, 2 places.")
    calls: int


class Leaderboard(BaseModel):
    items: list[LeaderboardRow]
    next_cursor: str | None = Field(
        default=None, description="Always null: the leaderboard is its top `limit` rows.")
