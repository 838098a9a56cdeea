from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from sqlalchemy import DateTime, Text, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True), str: Text()
    }


def uuid_pk() -> Mapped[UUID]:
    return mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))


def created_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def updated_at() -> Mapped[datetime]:
    # Kept current by the pitchlab_touch_updated_at trigger; onupdate also refreshes the ORM copy.
    return mapped_column(server_default=func.now(), onupdate=func.now())


def owned_by_models(
    name: str | None, type_: NameFilterType, _parent_names: NameFilterParentNames
) -> bool:
    """Alembic ``include_name`` hook: procrastinate's tables are migrated as its schema, not
    ours."""
    if type_ == "table" and name:
        return not name.startswith("procrastinate_")
    return True
