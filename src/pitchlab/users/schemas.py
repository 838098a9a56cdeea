"""Bodies of the current-user endpoints."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from pitchlab.auth.schemas import NewPassword
from pitchlab.http.validation import JSON_CHOICE, RequestBody
from pitchlab.models.values import ConsentKind, Role


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
    role: Role
    email_verified: bool
    company: CompanyOut | None
    api_keys: ApiKeysOut
    created_at: datetime
    updated_at: datetime


# A vendor API key: 8 to 512 printable ASCII characters, no spaces (U+0021 to U+007E).
API_KEY_PATTERN = r"^[!-~]{8,512}$"
_API_KEY = re.compile(API_KEY_PATTERN)


def _check_api_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _API_KEY.match(value):
        raise ValueError("an API key is 8 to 512 printable ASCII characters without spaces")
    return value


def _api_key_field(vendor: str) -> Any:  # pydantic types Field(...) as Any
    return Field(
        default=None,
        description=f"Your own {vendor} API key: 8 to 512 printable ASCII characters without "
        "spaces. Stored encrypted; only `configured` and `last4` ever come back. `null` deletes "
        "it; leave the field out to keep it.",
        json_schema_extra={"pattern": API_KEY_PATTERN},
    )


class ApiKeysIn(Request):
    """A key to store, or null to delete it. Keys left out are unchanged."""

    openai: str | None = _api_key_field("OpenAI")
    elevenlabs: str | None = _api_key_field("ElevenLabs")

    _keys = field_validator("openai", "elevenlabs")(_check_api_key)


def _password_change_rule(schema: dict[str, Any]) -> None:
    # The runtime rule below: a new password (a string) needs current_password (a string).
    schema["if"] = {"required": ["new_password"],
                    "properties": {"new_password": {"type": "string"}}}
    schema["then"] = {"required": ["current_password"],
                      "properties": {"current_password": {"type": "string"}}}


class UserUpdate(Request):
    model_config = ConfigDict(json_schema_extra=_password_change_rule)

    # Leave it out to keep it; null is refused (a name cannot be removed).
    name: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    current_password: str | None = Field(default=None, max_length=1024)
    new_password: NewPassword | None = None
    api_keys: ApiKeysIn | None = None

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
    kind: Annotated[ConsentKind, JSON_CHOICE]
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
