"""The one cursor shape every list uses: it round-trips a position, refuses anything else as
``invalid_cursor``, and a page carries a cursor only when more rows follow."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from pitchlab.kit.cursors import decode_cursor, encode_cursor, page
from pitchlab.kit.errors import InvalidCursor

AT = datetime(2026, 11, 27, 21, 0, 0, 123456, tzinfo=UTC)


def test_a_cursor_names_the_position_it_was_made_from():
    row_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(AT, row_id)) == (AT, row_id)
    assert decode_cursor(None) is None and decode_cursor("") is None


@pytest.mark.parametrize("cursor", [
    "not base64 at all!",
    base64.urlsafe_b64encode(b'["2026-11-27T21:00:00", "x"]').decode(),  # no offset, no uuid
    base64.urlsafe_b64encode(b'[1, 2]').decode(),
    base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    encode_cursor(AT, uuid.UUID(int=7))[:-3],  # cut short
])
def test_anything_else_is_an_invalid_cursor(cursor):
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


def test_a_page_has_a_next_cursor_only_when_a_row_more_was_fetched():
    rows = [(AT, uuid.uuid4()) for _ in range(3)]
    kept, next_cursor = page(rows, 2, lambda row: row)
    assert kept == rows[:2] and decode_cursor(next_cursor) == rows[1]
    assert page(rows, 3, lambda row: row) == (rows, None)
    assert page([], 3, lambda row: row) == ([], None)
