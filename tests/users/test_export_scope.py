"""The GDPR export holds the requesting user's own rows only, never a colleague's (same company,
so row-level security alone would let them through)."""

from __future__ import annotations

import uuid

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer, signed_up


async def test_the_export_holds_my_usage_and_not_a_colleagues(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    colleague = uuid.uuid4()
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        (me, company) = conn.execute(
            "SELECT id, company_id FROM users WHERE email = %s", (tokens["email"],)
        ).fetchone()
        conn.execute(
            "INSERT INTO users (id, company_id, email, hashed_password, role)"
            " VALUES (%s, %s, %s, 'x', 'user')", (colleague, company, f"{colleague}@example.com"),
        )
        for user, minutes in ((me, 2), (colleague, 7)):
            conn.execute(
                "INSERT INTO usage_records (user_id, company_id, minutes_used) VALUES (%s, %s, %s)",
                (user, company, minutes),
            )
    export = (await client.get("/api/users/me/export", headers=bearer(tokens))).json()
    assert [row["minutes_used"] for row in export["usage"]] == [2]
