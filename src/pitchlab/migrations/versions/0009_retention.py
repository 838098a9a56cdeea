"""Companies choose how long call transcripts and feedback are kept, and whether a leaderboard
shows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27

``retention_days`` NULL means the deployment's default (``PITCHLAB_RETENTION_DAYS``), so changing
the setting moves every company that never chose.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE companies"
        " ADD COLUMN retention_days integer,"
        " ADD COLUMN leaderboard_enabled boolean NOT NULL DEFAULT false,"
        " ADD CONSTRAINT companies_retention_days_check CHECK (retention_days BETWEEN 1 AND 3650)"
    )
    # The purge looks for a company's calls that ended before its cut-off.
    op.execute("CREATE INDEX sessions_company_ended_idx ON sessions (company_id, ended_at)")


def downgrade() -> None:
    op.execute("DROP INDEX sessions_company_ended_idx")
    op.execute(
        "ALTER TABLE companies DROP CONSTRAINT companies_retention_days_check,"
        " DROP COLUMN leaderboard_enabled, DROP COLUMN retention_days"
    )
