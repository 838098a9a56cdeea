"""Request and response bodies of the demo booking endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, Field, field_validator

from pitchlab.http.validation import (
    NO_NUL_PATTERN,
    NOT_BLANK_PATTERN,
    EmailAddress,
    JsonDatetime,
    RequestBody,
)

# IANA names only: ``ZoneInfo`` alone would also take a path-like key or a POSIX TZ string.
_ZONES = frozenset(available_timezones())
ZONE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$"


class DemoBookingIn(RequestBody):
    name: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK_PATTERN)
    email: EmailAddress
    company: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK_PATTERN)
    start_time: JsonDatetime = Field(
        description="When the demo should start: ISO 8601 with a UTC offset, in the future.",
        json_schema_extra={"pattern": NO_NUL_PATTERN},
    )
    # The pattern is the shape of a tz database name; the validator checks the name exists.
    timezone: str = Field(min_length=1, max_length=64, pattern=ZONE_NAME_PATTERN,
                          description="The prospect's IANA time zone, e.g. `Europe/Berlin`.")
    notes: str | None = Field(default=None, max_length=2000, pattern=NO_NUL_PATTERN)

    @field_validator("name", "company")
    @classmethod
    def _stripped(cls, value: str) -> str:
        return value.strip()

    @field_validator("start_time")
    @classmethod
    def _in_the_future(cls, value: datetime) -> datetime:
        if value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError("must be an IANA time zone name, e.g. Europe/Berlin")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone name, e.g. Europe/Berlin") from None
        return value


class DemoBookingOut(BaseModel):
    id: UUID
    status: Literal["booked", "pending"] = Field(
        description="`booked`: Calendly has the demo in its calendar. `pending`: the request is "
        "stored and the sales team follows up; with `booking_url` the chosen time was taken and "
        "the link lets you pick another."
    )
    booking_url: str | None
