"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from pitchlab.http.validation import NO_NUL_PATTERN, NOT_BLANK_PATTERN, EmailAddress, RequestBody
from pitchlab.security.emails import has_mixed_script_local_part
from pitchlab.security.passwords import MAX_BYTES, MIN_LENGTH


class Request(RequestBody):
    """Request bodies of this domain (see RequestBody)."""


def check_password_bounds(value: str) -> str:
    # bcrypt reads 72 bytes; refusing more beats silently ignoring the rest
    if len(value) < MIN_LENGTH:
        raise ValueError(f"must have at least {MIN_LENGTH} characters")
    if len(value.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"must be at most {MAX_BYTES} bytes in UTF-8")
    return value


# A new password, as the OpenAPI description gives it. JSON Schema counts characters, not
# bytes, so the 72-byte bound is in the description (and "x-max-utf8-bytes"), not maxLength:
# 72 characters of "é" are 144 bytes.
NewPassword = Annotated[
    str,
    AfterValidator(check_password_bounds),
    Field(
        description=f"At least {MIN_LENGTH} characters and at most {MAX_BYTES} bytes in UTF-8 "
        f"({MAX_BYTES} ASCII characters, fewer with accented letters or emoji). A longer "
        "password is refused (422), never truncated.",
        json_schema_extra={"format": "password", "minLength": MIN_LENGTH,
                           "x-max-utf8-bytes": MAX_BYTES, "pattern": NO_NUL_PATTERN},
    ),
]



def _exactly_one_way_in(schema: dict) -> None:
    # The runtime rule of _one_way_in below: exactly one of the two is given as a string (null
    # counts as absent).
    schema["oneOf"] = [
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("company_name", "invite_token")
    ]
    schema["description"] = (
        "Exactly one of `company_name` (a new company, whose admin you become, on a trial) or "
        "`invite_token` (join the company that invited you)."
    )


class RegisterIn(Request):
    model_config = ConfigDict(json_schema_extra=_exactly_one_way_in)

    email: EmailAddress
    password: NewPassword
    name: str = Field(min_length=1, max_length=200,
                      json_schema_extra={"pattern": NOT_BLANK_PATTERN})
    company_name: str | None = Field(default=None, min_length=1, max_length=200,
                                     json_schema_extra={"pattern": NOT_BLANK_PATTERN})
    invite_token: str | None = Field(default=None, min_length=10, max_length=200)

    @field_validator("email")
    @classmethod
    def _one_script(cls, value: str) -> str:
        # A lookalike of another address (a Cyrillic "a", U+0430, among Latin letters) is no
        # address.
        if has_mixed_script_local_part(value):
            raise ValueError("the part before @ must not mix alphabets (e.g. Latin and Cyrillic)")
        return value

    @field_validator("name", "company_name")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value else value

    @model_validator(mode="after")
    def _one_way_in(self) -> Self:
        if (self.company_name is None) == (self.invite_token is None):
            raise ValueError("give either company_name (a new company) or invite_token")
        return self


class EmailIn(Request):
    email: EmailAddress


class LoginIn(Request):
    email: EmailAddress
    # No length rules here: a login must not reveal the password policy's edges.
    password: str = Field(max_length=1024)


class RefreshIn(Request):
    refresh_token: str = Field(min_length=1, max_length=4096)


class MessageOut(BaseModel):
    message: str


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
