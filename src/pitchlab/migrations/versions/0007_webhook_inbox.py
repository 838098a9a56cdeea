"""The webhook inbox: one row per event a provider (Stripe, Calendly) delivered to us.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09

The endpoint verifies the delivery's signature, inserts it here with ON CONFLICT DO NOTHING on
``(source, event_id)`` and queues its handling job in the same transaction; the job marks
``handled_at`` in the transaction of the handler's effects. So a duplicate delivery finds the row
and changes nothing, and a handled event is never handled again.

The inbox is platform data, not tenant data: a delivery arrives before anyone knows which company
it concerns (a Stripe customer, a Calendly invitee), and no tenant request ever reads it. So it
has no company column and no tenant policy. Row-level security still guards it, as it does the
other system tables (0003): only a transaction in a named system context (``db.system_context``)
sees or writes a row, so a tenant request that strayed here would find nothing. The payloads hold
customers' names and email addresses.

The status values are those of ``pitchlab.models.WebhookStatus`` as of this revision, written
out: a migration must not change meaning when the application's code does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = """
CREATE TABLE webhook_events (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    source       text        NOT NULL,
    event_id     text        NOT NULL,
    event_type   text        NOT NULL,
    -- the body exactly as it was signed, and as parsed for the handlers
    raw_body     bytea       NOT NULL,
    payload      jsonb       NOT NULL,
    status       text        NOT NULL DEFAULT 'pending',
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    handled_at   timestamptz,
    CONSTRAINT webhook_events_source_event_id_key UNIQUE (source, event_id),
    CONSTRAINT webhook_events_status_check
        CHECK (status IN ('pending', 'processed', 'ignored', 'failed')),
    CONSTRAINT webhook_events_handled_check
        CHECK ((handled_at IS NOT NULL) = (status IN ('processed', 'ignored'))),
    CONSTRAINT webhook_events_attempts_check CHECK (attempts >= 0)
);
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_events_isolation ON webhook_events FOR ALL
    USING (pitchlab_is_system()) WITH CHECK (pitchlab_is_system());
"""


def upgrade() -> None:
    op.execute(SCHEMA)
    # 0001's default privileges cover it when the same owner migrates; granted here all the same,
    # so the inbox never depends on who ran the migration.
    config = op.get_context().config
    assert config is not None  # env.py runs every migration with the project's config
    name = config.attributes["app_role"]  # the deployment's, checked by env.py
    role = '"' + name.replace('"', '""') + '"'
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_events TO {role}")


def downgrade() -> None:
    op.execute("DROP TABLE webhook_events")
