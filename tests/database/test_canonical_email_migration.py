"""Migration 0006 fills the canonical email of existing accounts (issue 8, item 12)."""

from __future__ import annotations

import psycopg
import pytest

from pitchlab.auth import repository
from pitchlab.database_setup import libpq_dsn, upgrade
from pitchlab.db import Database, system_context
from tests.conftest import create_scratch_database, drop_database


@pytest.fixture
def scratch_url(server_url):
    url = create_scratch_database(server_url, "pitchlab_migrations")
    yield url
    drop_database(server_url, url)


async def test_existing_accounts_get_their_canonical_address(scratch_url):
    upgrade(scratch_url, "0005")
    with psycopg.connect(libpq_dsn(scratch_url), autocommit=True) as conn:
        company = conn.execute("INSERT INTO companies (name) VALUES ('Old') RETURNING id"
                               ).fetchone()[0]
        for email, age in [("me@example.com", "2 days"), ("\uff4de@example.com", "1 day"),
                           ("Other@Example.com", "3 days")]:
            conn.execute(
                "INSERT INTO users (company_id, email, hashed_password, role, created_at,"
                " updated_at) VALUES (%s, %s, 'x', 'admin', now() - %s::interval,"
                " now() - %s::interval)", (company, email, age, age))
        before = dict(conn.execute("SELECT email, updated_at FROM users").fetchall())

    upgrade(scratch_url)

    with psycopg.connect(libpq_dsn(scratch_url)) as conn:
        rows = conn.execute(
            "SELECT email, email_canonical, token_version, updated_at FROM users").fetchall()
    found = {email: (canonical, version) for email, canonical, version, _ in rows}
    assert found == {
        "me@example.com": ("me@example.com", 0),
        "\uff4de@example.com": (None, 0),  # a lookalike of an older account: left for an operator
        "Other@Example.com": ("other@example.com", 0),
    }
    assert {email: updated for email, _, _, updated in rows} == before

    # the lookalike still signs in with its exact address; every other spelling finds the owner
    database = Database(scratch_url, pool_size=1)
    try:
        async with database.transaction(system_context("test")) as session:
            def found(email: str):
                return repository.find_user_by_email(session, email)

            assert (await found("\uff4de@example.com")).email == "\uff4de@example.com"
            assert (await found("ME@example.com")).email == "me@example.com"
            assert (await found("\uff2fther@example.com")).email == "Other@Example.com"
    finally:
        await database.dispose()
