"""Bodies of the practice-session endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from pitchlab.http.validation import NOT_BLANK_PATTERN, RequestBody
from pitchlab.models.values import EndReason, FeedbackStatus, SessionMode, SessionStatus, Speaker
from pitchlab.scenarios.schemas import ScenarioOut


class Request(RequestBody):
    """Request bodies of this domain (see RequestBody)."""


class SessionStart(Request):
    scenario_id: str | None = Field(default=None, max_length=100)
    mode: Literal[SessionMode.VOICE, SessionMode.TEXT] = SessionMode.VOICE


class StreamAccess(BaseModel):
    url: str = Field(description="WebSocket URL of the stream, ticket included.")
    ticket: str = Field(description="Single-use; expires after `expires_in` seconds.")
    expires_in: int


class SessionStarted(BaseModel):
    id: UUID
    status: SessionStatus
    mode: SessionMode
    started_at: datetime
    scenario: ScenarioOut
    minutes_remaining: int
    stream: StreamAccess


class SessionOut(BaseModel):
    id: UUID
    user_id: UUID
    status: SessionStatus
    mode: SessionMode
    scenario: ScenarioOut
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: int | None
    minutes_billed: int
    feedback_status: FeedbackStatus | None
    # text, not the enum: a reason stored by an older version still reads back
    end_reason: str | None = Field(
        description="Who or what ended the call: " + ", ".join(f"`{r}`" for r in EndReason) + "."
    )


class SessionList(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None


class SessionEnd(Request):
    reason: Literal[SessionStatus.COMPLETED, SessionStatus.CANCELLED] = SessionStatus.COMPLETED


class SessionEnded(BaseModel):
    id: UUID
    status: SessionStatus
    started_at: datetime
    ended_at: datetime
    duration_seconds: int
    minutes_billed: int
    feedback_status: FeedbackStatus | None


MAX_TURN_CHARS = 4000


class TextTurn(Request):
    """One rep turn: over HTTP in text mode, and a stream's ``user_message`` (the stream
    validates its text with this same model, so both refuse the same input)."""

    text: str = Field(min_length=1, max_length=MAX_TURN_CHARS,
                      json_schema_extra={"pattern": NOT_BLANK_PATTERN})

    @field_validator("text")
    @classmethod
    def _says_something(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class ContextualUpdate(Request):
    """A stream's ``contextual_update``: text the agent is told, held to the same rules as any
    text we accept (no NUL, no lone surrogate)."""

    text: str


class TurnOut(BaseModel):
    speaker: Speaker
    text: str
    start_ms: int
    end_ms: int


class TranscriptOut(BaseModel):
    session_id: UUID
    text: str
    turns: list[TurnOut]
    created_at: datetime
