"""The base of every request body: unknown fields are refused (no mass assignment), and so is
text PostgreSQL cannot store or no UTF-8 can carry (a NUL character, a lone surrogate), as a 422
instead of a failed insert. The practice stream checks its client messages' text with these
same models."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    GetJsonSchemaHandler,
    Strict,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

# The NUL rule as a JSON Schema pattern, on every free-text string of a request body, so that the
# OpenAPI description says what the validator below enforces.
NO_NUL_PATTERN = r"^[^\x00]*$"
# Text that must say something (names, a rep's turn): at least one character that is not white
# space (Python's sense of it, as the validators' ``strip()``), and, as everywhere, no NUL.
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"

# After JSON decoding a valid pair is one code point, so any surrogate left is a lone one.
# (Pydantic refuses them in constrained strings only; a plain ``str`` field would let it through.)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, str) and _SURROGATE.search(value):
        raise ValueError("must not contain lone surrogates")
    if isinstance(value, dict):
        for item in value.values():
            _no_nul(item)
    if isinstance(value, list | tuple):
        for item in value:
            _no_nul(item)
    return value


def _string_form_of(kind: type) -> BeforeValidator:
    def string_or_value(value: Any) -> Any:
        if isinstance(value, str | kind):
            return value
        raise PydanticCustomError("string_type", "Input should be a valid string")

    return BeforeValidator(string_or_value)


# JSON has no UUID or date-time type: clients send their string forms, which strict validation
# refuses (FastAPI validates the parsed JSON as Python objects, where strict means "already a
# UUID"). Request fields of these types use these aliases: the string form again, and only it
# (lax mode alone would also read a number as a Unix time). Choices are Literal strings, which
# strict mode takes as they are, or StrEnums marked JSON_CHOICE.
JsonUUID = Annotated[UUID, Strict(False), _string_form_of(UUID)]
JsonDatetime = Annotated[AwareDatetime, Strict(False), _string_form_of(datetime)]
# A StrEnum field (``Annotated[ConsentKind, JSON_CHOICE]``): strict validation wants the enum
# member itself, while JSON sends its value; lax mode takes exactly the enum's values, nothing else.
JSON_CHOICE = Strict(False)


def _any_case(word: str) -> str:
    # JSON Schema patterns (ECMA-262) have no case-insensitive flag.
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


# EmailStr refuses addresses at special-use domains (email_validator's list: .test, .local,
# .localhost, .invalid, .onion, .arpa), which "format": "email" alone does not say.
_SPECIAL_USE = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
EMAIL_PATTERN = rf"^(?![\s\S]*\.(?:{_SPECIAL_USE})$)[^\x00]*$"

# An email address in a request body.
EmailAddress = Annotated[
    EmailStr,
    Field(
        description="An email address. Compared case-insensitively (NFKC case-folded); "
        "addresses at special-use domains (" + ", ".join(f".{n}" for n in SPECIAL_USE_DOMAIN_NAMES)
        + ") are refused.",
        json_schema_extra={"pattern": EMAIL_PATTERN},
    ),
]


class RequestBody(BaseModel):
    # strict: "yes", "true" or 1 is not a boolean, "5", 5.0 or true not an integer, 5 not a
    # string. Nested bodies, lists, Literal choices and EmailStr work as usual; UUIDs and
    # date-times need the aliases above. tests/http/test_strict_input.py walks every request
    # body to keep it so.
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _no_nul(value)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        for field_schema in schema.get("properties", {}).values():
            _document_no_nul(field_schema)
        return schema


def _document_no_nul(schema: dict[str, Any]) -> None:
    """Add the NUL pattern to free text: strings without a pattern, format or fixed values of
    their own (those exclude NUL already). Nested models document themselves."""
    if any(key in schema for key in ("pattern", "format", "enum", "const", "$ref")):
        return
    if schema.get("type") == "string":
        schema["pattern"] = NO_NUL_PATTERN
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for branch in schema.get(key, ()):
            _document_no_nul(branch)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _document_no_nul(schema[key])
