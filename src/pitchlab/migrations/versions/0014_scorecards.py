"""Scorecards: a company's own grading criteria, versioned.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28

``scorecards`` holds a scorecard as it is now; ``scorecard_versions`` every set of criteria it
has had, one row per version, never changed once written, so that a report can name the version
it was scored with and stay readable after an edit. A version's foreign key names the company
too: a version cannot belong to another company than its scorecard.

Tenant data: row-level security on the company context, as every tenant table. The audit CHECK
gains the scorecard actions. Words are written out as of this revision (``Methodology`` and
``AuditAction``): a migration must not change meaning when the code does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_RULE = "(company_id = pitchlab_current_company() OR pitchlab_is_system())"
NEW_TABLES = ("scorecards", "scorecard_versions")

SCHEMA = """
CREATE TABLE scorecards (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id   uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    methodology  text        NOT NULL,
    version      integer     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    archived_at  timestamptz,
    CONSTRAINT scorecards_methodology_check
        CHECK (methodology IN ('custom', 'meddic', 'spin', 'bant', 'challenger')),
    CONSTRAINT scorecards_version_check CHECK (version >= 1),
    CONSTRAINT scorecards_id_company_key UNIQUE (id, company_id)
);
CREATE INDEX scorecards_company_id_idx ON scorecards (company_id, created_at);
CREATE TRIGGER scorecards_touch_updated_at BEFORE UPDATE ON scorecards
    FOR EACH ROW EXECUTE FUNCTION pitchlab_touch_updated_at();

CREATE TABLE scorecard_versions (
    scorecard_id  uuid        NOT NULL,
    version       integer     NOT NULL,
    company_id    uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    criteria      jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scorecard_id, version),
    CONSTRAINT scorecard_versions_scorecard_company_fkey FOREIGN KEY (scorecard_id, company_id)
        REFERENCES scorecards (id, company_id) ON DELETE CASCADE,
    CONSTRAINT scorecard_versions_version_check CHECK (version >= 1)
);
CREATE INDEX scorecard_versions_company_id_idx ON scorecard_versions (company_id);
"""

AUDIT_BEFORE = (
    "user.signed_up", "user.logged_in", "user.login_failed", "user.email_verified",
    "user.password_changed", "user.api_key_changed", "user.deleted", "user.data_exported",
    "consent.recorded", "subscription.changed", "user.role_changed", "user.disabled",
    "user.enabled", "invitation.created", "quota.changed", "company.settings_changed",
    "company.data_exported", "company.deleted",
)
AUDIT_ADDED = ("scorecard.created", "scorecard.changed")


def _audit_check(actions: Sequence[str]) -> str:
    words = ", ".join(f"'{action}'" for action in actions)
    return (
        "ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_action_check, "
        f"ADD CONSTRAINT audit_logs_action_check CHECK (action IN ({words}))"
    )


def upgrade() -> None:
    op.execute(SCHEMA)
    config = op.get_context().config
    assert config is not None  # env.py runs every migration with the project's config
    name = config.attributes["app_role"]  # the deployment's, checked by env.py
    role = '"' + name.replace('"', '""') + '"'
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_tenant_isolation ON {table} FOR ALL"
            f" USING {TENANT_RULE} WITH CHECK {TENANT_RULE}"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
    op.execute(_audit_check(AUDIT_BEFORE + AUDIT_ADDED))


def downgrade() -> None:
    # Entries of the newer actions would break the older CHECK: a downgrade refuses then,
    # rather than deleting history (the audit table is append-only by design), as 0012 does.
    op.execute(_audit_check(AUDIT_BEFORE))
    op.execute("DROP TABLE scorecard_versions, scorecards")
