"""After ``DELETE /api/users/me`` no row anywhere holds the rep's email, name, transcript text or
feedback, their tokens and login are dead, and the company's used minutes do not move.

The check reads every text, JSON and byte column of every table as the database owner, so a
table added later that keeps personal data past an erasure fails here the day it lands."""

from __future__ import annotations

import psycopg
from psycopg import sql

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, bearer, drain_jobs, invited_member, signed_up
from tests.practice.helpers import start

NAME = "Jo Member"  # invited_member's name for the rep
LINE = "Our ramp time is the zebra-crossing problem nobody else has"
SEARCHABLE = ("text", "character varying", "jsonb", "json", "bytea")


def rows_mentioning(owner_url, needle: str) -> list[str]:
    """``table.column`` of every row (outside the job queue's own tables) that contains
    ``needle``, case-insensitively."""
    found = []
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type = ANY(%s)"
            " AND table_name NOT LIKE 'procrastinate%%' AND table_name <> 'alembic_version'",
            (list(SEARCHABLE),),
        ).fetchall()
        for table, column, data_type in columns:
            as_text = (sql.SQL("convert_from({}, 'UTF8')") if data_type == "bytea"
                       else sql.SQL("{}::text")).format(sql.Identifier(column))
            query = sql.SQL("SELECT count(*) FROM {} WHERE {} ILIKE %s").format(
                sql.Identifier(table), as_text)
            if conn.execute(query, (f"%{needle}%",)).fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def company_used_minutes(owner_url, admin_email: str) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT used_minutes FROM minute_quotas WHERE user_id IS NULL AND company_id ="
            " (SELECT company_id FROM users WHERE email = %s)", (admin_email,)).fetchone()[0]


async def test_an_erased_rep_leaves_no_personal_data_and_the_minutes_stay(
    client, app, owner_url
):
    admin = await signed_up(client, app, owner_url)
    rep = await invited_member(client, owner_url, admin["email"])
    sid = (await start(client, rep, mode="text"))["id"]
    said = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(rep),
                             json={"text": LINE})
    assert said.status_code == 200, said.text
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(rep))
    assert ended.status_code == 200, ended.text
    await drain_jobs(app)  # the feedback, quoting the rep, is written
    assert rows_mentioning(owner_url, LINE)  # the search finds what is there
    assert rows_mentioning(owner_url, rep["email"])
    used = company_used_minutes(owner_url, admin["email"])
    assert used >= 1

    gone = await client.request("DELETE", "/api/users/me", headers=bearer(rep),
                                json={"password": PASSWORD})
    assert gone.status_code == 204, gone.text
    await drain_jobs(app)

    for personal in (rep["email"], NAME, LINE, "zebra-crossing"):
        assert rows_mentioning(owner_url, personal) == [], personal
    assert company_used_minutes(owner_url, admin["email"]) == used
    assert (await client.get("/api/users/me", headers=bearer(rep))).status_code == 401
    login = await client.post("/api/auth/login", json={"email": rep["email"],
                                                      "password": PASSWORD})
    assert login.status_code == 401
    refreshed = await client.post("/api/auth/refresh", json={"refresh_token": rep["refresh_token"]})
    assert refreshed.status_code == 401
