"""The base of every request body: unknown fields are refused (no mass assignment), and so is
text PostgreSQL cannot store or no UTF-8 can carry (a NUL character, a lone surrogate), as a 422
instead of a failed insert. The practice stream checks its client messages' text with these
same models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

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


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return _no_nul(value)
