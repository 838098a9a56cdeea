"""The closed sets of values of the identity tables, defined once.

Schemas, models and the migrations' CHECK constraints all read them from here: a role, a consent
kind or an outbox status that is not listed here cannot be written, sent or accepted.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Dialect, Text
from sqlalchemy.types import TypeDecorator


class Role(StrEnum):
    SUPER_ADMIN = "super_admin"  # a platform operator: belongs to no company
    ADMIN = "admin"
    USER = "user"


# The roles an invitation may grant: nobody is invited to operate the platform.
INVITABLE_ROLES = (Role.ADMIN, Role.USER)


class ConsentKind(StrEnum):
    VOICE_RECORDING = "voice_recording"
    AI_ANALYSIS = "ai_analysis"
    MARKETING = "marketing"
    TERMS = "terms"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class EmailKind(StrEnum):
    VERIFY_EMAIL = "verify_email"
    ACCOUNT_EXISTS = "account_exists"


def one_of(column: str, values: tuple[StrEnum, ...] | type[StrEnum]) -> str:
    """The CHECK text that keeps ``column`` within ``values``: ``role IN ('admin', 'user')``."""
    listed = ", ".join(f"'{value.value}'" for value in values)
    return f"{column} IN ({listed})"


class TextEnum(TypeDecorator[Any]):
    """A ``text`` column read as its StrEnum (the schema keeps plain text and a CHECK): an unknown
    value fails where it is written or read, not somewhere downstream."""

    impl = Text
    cache_ok = True

    def __init__(self, values: type[StrEnum]) -> None:
        super().__init__()
        self.values = values

    def process_bind_param(self, value: Any, _dialect: Dialect) -> str | None:
        return None if value is None else self.values(value).value

    def process_result_value(self, value: Any, _dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.values(value)
