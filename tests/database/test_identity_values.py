"""The closed sets of the identity tables are the enums the code uses: the migrated schema's
CHECK constraints allow exactly their values (0001 wrote the users' roles out by hand; 0003 reads
them from ``models/values.py``)."""

from __future__ import annotations

import re
from enum import StrEnum

import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from pitchlab.models.values import (
    INVITABLE_ROLES,
    ConsentKind,
    OutboxStatus,
    Role,
    one_of,
)


@pytest.fixture
def owner_conn_sync(owner_url):
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        yield conn


def _allowed_values(conn, table: str, column: str) -> set[str]:
    definitions = [
        row[0] for row in conn.execute(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " WHERE c.conrelid = %s::regclass AND c.contype = 'c'", (table,)
        ).fetchall()
    ]
    # PostgreSQL keeps "x IN ('a', 'b')" as "(x = ANY (ARRAY['a'::text, 'b'::text]))"
    (listing,) = [d for d in definitions if re.search(rf"\({column} = ANY \(ARRAY\[", d)]
    return set(re.findall(r"'([^']*)'::text", listing))


@pytest.mark.parametrize(("table", "column", "values"), [
    ("users", "role", tuple(Role)),
    ("invitations", "role", INVITABLE_ROLES),
    ("consents", "kind", tuple(ConsentKind)),
    ("email_outbox", "status", tuple(OutboxStatus)),
])
def test_the_schema_allows_exactly_the_enum(owner_conn_sync, table, column, values):
    assert _allowed_values(owner_conn_sync, table, column) == {v.value for v in values}


def test_invitations_never_grant_the_operator_role():
    assert Role.SUPER_ADMIN not in INVITABLE_ROLES


class _Shade(StrEnum):
    LIGHT = "light"
    DARK = "dark"


def test_one_of_writes_the_check_text_in_the_enum_order():
    assert one_of("shade", _Shade) == "shade IN ('light', 'dark')"
    assert one_of("role", INVITABLE_ROLES) == "role IN ('admin', 'user')"
