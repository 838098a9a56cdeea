"""Audit log: one append-only table of who did what, when, from where.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27

- ``audit_logs`` has no foreign keys: an entry outlives the user and the company it names.
  A company's erasure leaves its entries (their details never hold personal data); a user's
  erasure nulls the user's id and address in them (``pitchlab_audit_forget_user``).
- Append-only for the app: its role is granted INSERT and SELECT only, so an UPDATE or DELETE
  through the app is a permission error, whatever the code above tries.
- Row-level security as the other tenant tables, so an admin reads only their company's
  entries; rows of no company (a failed login, a super_admin's own actions) are visible and
  writable in a system context only (``NULL = x`` is never true).
- ``pitchlab_audit_forget_user(uuid)`` runs as the table's owner (SECURITY DEFINER): the one
  change the app may make, and only this one: it anonymises the erased user's entries.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The actions as of this revision, written out: a migration must not change meaning when the
# application's code does (0012 adds the admins' actions).
ACTIONS = ("user.signed_up", "user.logged_in", "user.login_failed", "user.email_verified",
           "user.password_changed", "user.api_key_changed", "user.deleted", "user.data_exported",
           "consent.recorded", "subscription.changed")
ACTION_CHECK = "action IN (" + ", ".join(f"'{a}'" for a in ACTIONS) + ")"

TENANT_RULE = "(company_id = pitchlab_current_company() OR pitchlab_is_system())"

SCHEMA = f"""
CREATE TABLE audit_logs (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    actor_id     uuid,
    action       text        NOT NULL,
    target_type  text,
    target_id    text,
    company_id   uuid,
    ip           text,
    details      jsonb       NOT NULL DEFAULT '{{}}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_logs_action_check CHECK ({ACTION_CHECK})
);
CREATE INDEX audit_logs_company_id_idx ON audit_logs (company_id, created_at DESC, id DESC);
CREATE INDEX audit_logs_created_at_idx ON audit_logs (created_at DESC, id DESC);

ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_logs FORCE ROW LEVEL SECURITY;
-- The owner (migrations, the forget function below) sees every row.
CREATE POLICY audit_logs_owner ON audit_logs FOR ALL TO CURRENT_USER USING (true) WITH CHECK (true);

CREATE FUNCTION pitchlab_audit_forget_user(erased uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    UPDATE audit_logs SET actor_id = NULL, ip = NULL WHERE actor_id = erased;
    UPDATE audit_logs SET target_id = NULL
     WHERE target_type = 'user' AND target_id = erased::text;
$$;
REVOKE ALL ON FUNCTION pitchlab_audit_forget_user(uuid) FROM PUBLIC;
"""


def upgrade() -> None:
    op.execute(SCHEMA)
    config = op.get_context().config
    assert config is not None  # env.py runs every migration with the project's config
    name = config.attributes["app_role"]  # the deployment's, checked by env.py
    role = '"' + name.replace('"', '""') + '"'
    op.execute(
        f"CREATE POLICY audit_logs_tenant_read ON audit_logs FOR SELECT TO {role}"
        f" USING {TENANT_RULE}"
    )
    op.execute(
        f"CREATE POLICY audit_logs_tenant_write ON audit_logs FOR INSERT TO {role}"
        f" WITH CHECK {TENANT_RULE}"
    )
    # INSERT and SELECT only: the app can never rewrite or remove history. The schema's default
    # privileges (0001) gave it everything on a new table: taken back here.
    op.execute(f"REVOKE ALL ON audit_logs FROM {role}")
    op.execute(f"GRANT SELECT, INSERT ON audit_logs TO {role}")
    op.execute(f"GRANT EXECUTE ON FUNCTION pitchlab_audit_forget_user(uuid) TO {role}")


def downgrade() -> None:
    op.execute("DROP FUNCTION pitchlab_audit_forget_user(uuid)")
    op.execute("DROP TABLE audit_logs")
