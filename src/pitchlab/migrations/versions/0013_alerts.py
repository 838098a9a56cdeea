"""Alert state: one row per alert key, so that every process shares one rate limit.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20

An outage makes every API process and worker fail at once; each asks this row (one UPSERT,
which serializes them) whether the alert is due, so operators get one message per interval,
the next one counting those held back. Platform data: no tenant column, and only a transaction
in a named system context sees a row.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = """
CREATE TABLE alert_states (
    key              text        PRIMARY KEY,
    sent_at          timestamptz,
    suppressed       integer     NOT NULL DEFAULT 0,
    reported         integer     NOT NULL DEFAULT 0,
    failing_since    timestamptz,
    last_failure_at  timestamptz,
    CONSTRAINT alert_states_counts_check CHECK (suppressed >= 0 AND reported >= 0)
);
ALTER TABLE alert_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_states FORCE ROW LEVEL SECURITY;
CREATE POLICY alert_states_isolation ON alert_states FOR ALL
    USING (pitchlab_is_system()) WITH CHECK (pitchlab_is_system());
"""


def upgrade() -> None:
    op.execute(SCHEMA)
    config = op.get_context().config
    assert config is not None  # env.py runs every migration with the project's config
    name = config.attributes["app_role"]  # the deployment's, checked by env.py
    role = '"' + name.replace('"', '""') + '"'
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON alert_states TO {role}")


def downgrade() -> None:
    op.execute("DROP TABLE alert_states")
