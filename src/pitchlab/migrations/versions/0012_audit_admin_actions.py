"""Audit log: the admins' and operators' actions (role changes, disabling, invitations, quotas,
company settings, the company's export and erasure).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27

Only the CHECK on ``audit_logs.action`` changes. The words are written out, as of this revision
(``pitchlab.models.values.AuditAction``): a migration must not change meaning when the code does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("user.signed_up", "user.logged_in", "user.login_failed", "user.email_verified",
          "user.password_changed", "user.api_key_changed", "user.deleted", "user.data_exported",
          "consent.recorded", "subscription.changed")
ADDED = ("user.role_changed", "user.disabled", "user.enabled", "invitation.created",
         "quota.changed", "company.settings_changed", "company.data_exported", "company.deleted")


def _check(actions: Sequence[str]) -> str:
    words = ", ".join(f"'{action}'" for action in actions)
    return (
        "ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_action_check, "
        f"ADD CONSTRAINT audit_logs_action_check CHECK (action IN ({words}))"
    )


def upgrade() -> None:
    op.execute(_check(BEFORE + ADDED))


def downgrade() -> None:
    # Entries of the newer actions would break the older CHECK: a downgrade keeps them by
    # refusing, rather than deleting history (the table is append-only by design).
    op.execute(_check(BEFORE))
