"""The migrations: they go up, down to nothing and up again, and match the models."""

from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from pitchlab.database_setup import downgrade, head_revision, libpq_dsn, upgrade
from pitchlab.models import Base
from pitchlab.models.base import owned_by_models
from tests.conftest import create_scratch_database, drop_database


@pytest.fixture
def scratch_url(server_url):
    url = create_scratch_database(server_url, "pitchlab_migrations")
    yield url
    drop_database(server_url, url)


def _tables(url) -> set[str]:
    with psycopg.connect(libpq_dsn(url)) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        return {r[0] for r in rows}


def _functions(url) -> set[str]:
    with psycopg.connect(libpq_dsn(url)) as conn:
        rows = conn.execute(
            "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public'"
        ).fetchall()
        return {r[0] for r in rows}


def test_upgrade_downgrade_to_base_and_upgrade_again(scratch_url):
    upgrade(scratch_url)
    at_head = _tables(scratch_url)
    assert {"companies", "users", "sessions", "minute_quotas"} <= at_head
    downgrade(scratch_url, "base")
    assert _tables(scratch_url) == {"alembic_version"}
    assert _functions(scratch_url) == set()
    upgrade(scratch_url)
    assert _tables(scratch_url) == at_head


def test_the_models_match_the_migrated_schema(owner_url):
    engine = create_engine(owner_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": owned_by_models}
        )
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_every_foreign_key_is_indexed(owner_conn_sync):
    # A foreign key without an index makes every delete of the parent scan the child table. An
    # index that starts with the key's first column serves it (session_id alone is unique).
    unindexed = owner_conn_sync.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
          AND NOT EXISTS (
            SELECT 1 FROM pg_index i
            WHERE i.indrelid = c.conrelid
              AND i.indkey[0] = c.conkey[1]
          )
        """
    ).fetchall()
    assert unindexed == []


def test_updated_at_follows_every_update(owner_conn_sync):
    conn = owner_conn_sync
    company_id = conn.execute(
        "INSERT INTO companies (name) VALUES ('Before') RETURNING id"
    ).fetchone()[0]
    before = conn.execute(
        "SELECT updated_at FROM companies WHERE id = %s", (company_id,)
    ).fetchone()[0]
    conn.execute("UPDATE companies SET name = 'After' WHERE id = %s", (company_id,))
    after = conn.execute(
        "SELECT updated_at FROM companies WHERE id = %s", (company_id,)
    ).fetchone()[0]
    assert after > before


def test_head_revision_is_single():
    assert head_revision() == "0016"


@pytest.fixture
def owner_conn_sync(owner_url):
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        yield conn
