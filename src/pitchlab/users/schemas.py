"""Bodies of the current-user endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator, model_validator

from pitchlab.http.validation import RequestBody
from pitchlab.auth.schemas import check_password_bounds

ConsentKind = Literal["voice_recording", "ai_analysis", "marketing", "terms"]


class Request(RequestBody):
    """Request bodies of this domain (see RequestBody)."""


class ApiKeyStatus(BaseModel):
    configured: bool
    last4: str | None = None


class ApiKeysOut(BaseModel):
    openai: ApiKeyStatus
    elevenlabs: ApiKeyStatus


class CompanyOut(BaseModel):
    id: UUID
    name: str
    trial_expires_at: datetime | None


class UserOut(BaseModel):
    id: UUID
    email: str
    name: str | None
    role: str
    email_verified: bool
    company: CompanyOut | None
    api_keys: ApiKeysOut
    created_at: datetime
    updated_at: datetime


def _check_api_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not (8 <= len(value) <= 512) or not value.isascii() or any(c.isspace() for c in value):
        raise ValueError("an API key is 8 to 512 printable characters without spaces")
    return value


class ApiKeysIn(Request):
    """A key to store, or null to delete it. Keys left out are unchanged."""

    openai: str | None = None
    elevenlabs: str | None = None

    _keys = field_validator("openai", "elevenlabs")(_check_api_key)


class UserUpdate(Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    current_password: str | None = Field(default=None, max_length=1024)
    new_password: str | None = None
    api_keys: ApiKeysIn | None = None

    @field_validator("new_password")
    @classmethod
    def _new_password_bounds(cls, value: str | None) -> str | None:
        return None if value is None else check_password_bounds(value)

    @model_validator(mode="after")
    def _password_change_needs_the_current_one(self) -> UserUpdate:
        if self.new_password is not None and self.current_password is None:
            raise ValueError("changing the password needs current_password")
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class AccountDeletion(Request):
    password: str = Field(max_length=1024)


class ConsentIn(Request):
    kind: ConsentKind
    granted: bool
    version: str = Field(min_length=1, max_length=50)


class ConsentOut(BaseModel):
    id: UUID
    kind: ConsentKind
    granted: bool
    version: str
    created_at: datetime


class ConsentList(BaseModel):
    items: list[ConsentOut]


class ExportOut(BaseModel):
    exported_at: datetime
    profile: UserOut
    sessions: list[dict[str, Any]]
    transcripts: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    usage: list[dict[str, Any]]
    consents: list[ConsentOut]
