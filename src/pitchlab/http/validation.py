"""The base of every request body: unknown fields are refused (no mass assignment), and so is
text PostgreSQL cannot store or no UTF-8 can carry (a NUL character, a lone surrogate), as a 422
instead of a failed insert. The practice stream checks its client messages' text with these
same models."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Strict, field_validator
from pydantic_core import PydanticCustomError

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
# strict mode takes as they are.
JsonUUID = Annotated[UUID, Strict(False), _string_form_of(UUID)]
JsonDatetime = Annotated[AwareDatetime, Strict(False), _string_form_of(datetime)]


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
