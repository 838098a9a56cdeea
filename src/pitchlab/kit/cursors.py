"""Keyset pagination cursors: a page's ``next_cursor`` is the position of its last row (its time
and id), opaque to clients. One shape for every list (calls, accounts, companies, audit log).

A cursor only positions the page: each list applies its own scope (the caller's company)
whatever the cursor says, so a cursor made from another company's row reveals nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from pitchlab.kit.errors import InvalidCursor

Row = TypeVar("Row")
Position = tuple[datetime, UUID]


def encode_cursor(at: datetime, row_id: UUID) -> str:
    raw = json.dumps([at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Position | None:
    """The position a cursor names; None for no cursor (the first page); 422 ``invalid_cursor``
    for anything that is not one of ours."""
    if not cursor:
        return None
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(at, str) or not isinstance(row_id, str):
            raise ValueError("cursor fields are strings")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("cursor time has an offset")
        return when, UUID(row_id)
    except (ValueError, TypeError):
        raise InvalidCursor from None


def page(
    rows: Sequence[Row], limit: int, position: Callable[[Row], Position]
) -> tuple[list[Row], str | None]:
    """A page from ``limit + 1`` rows fetched: the first ``limit``, and the cursor of the next
    page when there was one more."""
    kept = list(rows[:limit])
    more = len(rows) > limit
    return kept, encode_cursor(*position(kept[-1])) if more else None
