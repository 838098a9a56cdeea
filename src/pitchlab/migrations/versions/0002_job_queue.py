"""Job queue: procrastinate's tables, so jobs live in the same PostgreSQL as the data.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The schema is procrastinate's own ``schema.sql`` at the version ``uv.lock`` pins. When that pin
moves, a new revision applies the files procrastinate ships in ``sql/migrations`` for the versions
in between (its upgrade path), never a fresh ``schema.sql``.

The queue tables are not tenant tables: a job carries ids, never tenant data, and the worker
re-reads what it needs in the right context.
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None



def upgrade() -> None:
    op.execute(SchemaManager.get_schema())
    # Tables are covered by 0001's default privileges; ids come from sequences.
    config = op.get_context().config
    if config is None:
        raise RuntimeError("run the migrations through env.py: it names the application role")
    name: str = config.attributes["app_role"]  # the deployment's, checked by env.py
    role = '"' + name.replace('"', '""') + '"'
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")


def downgrade() -> None:
    op.execute(
        """
        DO $$
        DECLARE obj record;
        BEGIN
            DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
                procrastinate_jobs, procrastinate_workers CASCADE;
            FOR obj IN
                SELECT p.oid::regprocedure AS signature FROM pg_proc p
                WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'procrastinate%'
            LOOP
                EXECUTE 'DROP FUNCTION ' || obj.signature || ' CASCADE';
            END LOOP;
            DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_status,
                procrastinate_job_event_type CASCADE;
        END $$;
        """
    )
