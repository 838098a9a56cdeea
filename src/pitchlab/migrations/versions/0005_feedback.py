"""Feedback: who scored it, under which rubric, the model's raw answer, and why it failed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE feedback
            ADD COLUMN scored_by text NOT NULL DEFAULT 'local',
            ADD COLUMN rubric_version text NOT NULL DEFAULT 'unknown',
            ADD COLUMN raw_output jsonb;
        ALTER TABLE feedback ALTER COLUMN scored_by DROP DEFAULT,
            ALTER COLUMN rubric_version DROP DEFAULT;
        ALTER TABLE sessions ADD COLUMN feedback_error text;
        CREATE INDEX sessions_feedback_pending_idx ON sessions (ended_at)
            WHERE feedback_status = 'pending';
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX sessions_feedback_pending_idx;
        ALTER TABLE sessions DROP COLUMN feedback_error;
        ALTER TABLE feedback DROP COLUMN raw_output, DROP COLUMN rubric_version,
            DROP COLUMN scored_by;
        """
    )
