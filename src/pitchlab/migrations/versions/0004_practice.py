"""Practice sessions: scenario and mode, the minute ledger on the session, heartbeats, per-user
minute caps, transcript turns and single-use stream tickets.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from pitchlab.models.values import FeedbackStatus, one_of

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = f"""
ALTER TABLE sessions
    ADD COLUMN scenario_id text NOT NULL DEFAULT 'discovery-busy-vp',
    ADD COLUMN mode text NOT NULL DEFAULT 'voice' CHECK (mode IN ('voice', 'text')),
    -- minutes charged so far; the quota rows moved by exactly this much
    ADD COLUMN minutes_billed integer NOT NULL DEFAULT 0 CHECK (minutes_billed >= 0),
    -- refreshed by a live stream and by every turn; the sweep ends sessions gone quiet
    ADD COLUMN last_activity_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN end_reason text,
    ADD COLUMN feedback_status text CHECK ({one_of("feedback_status", FeedbackStatus)}),
    ADD COLUMN provider_conversation_id text;
ALTER TABLE sessions ALTER COLUMN scenario_id DROP DEFAULT, ALTER COLUMN mode DROP DEFAULT;
-- one live call per rep, enforced where races cannot slip past it
CREATE UNIQUE INDEX sessions_one_live_per_user ON sessions (user_id) WHERE status = 'in_progress';
CREATE INDEX sessions_live_activity_idx ON sessions (last_activity_at)
    WHERE status = 'in_progress';

ALTER TABLE transcripts ADD COLUMN turns jsonb NOT NULL DEFAULT '[]';

-- A quota row is the company's (user_id NULL) or one user's own cap inside it.
ALTER TABLE minute_quotas ADD COLUMN user_id uuid;
ALTER TABLE minute_quotas DROP CONSTRAINT minute_quotas_company_id_key;
ALTER TABLE minute_quotas ADD CONSTRAINT minute_quotas_user_company_fkey
    FOREIGN KEY (user_id, company_id) REFERENCES users (id, company_id) ON DELETE CASCADE;
CREATE UNIQUE INDEX minute_quotas_company_key ON minute_quotas (company_id)
    WHERE user_id IS NULL;
CREATE UNIQUE INDEX minute_quotas_user_key ON minute_quotas (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX minute_quotas_company_id_idx ON minute_quotas (company_id);

CREATE TABLE stream_tickets (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id  uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  text        NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stream_tickets_session_id_idx ON stream_tickets (session_id);
CREATE INDEX stream_tickets_user_id_idx ON stream_tickets (user_id);
ALTER TABLE stream_tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE stream_tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY stream_tickets_isolation ON stream_tickets FOR ALL
    USING (pitchlab_is_system()) WITH CHECK (pitchlab_is_system());
"""

DOWNGRADE = """
DROP TABLE stream_tickets;
DROP INDEX minute_quotas_company_id_idx, minute_quotas_user_key, minute_quotas_company_key;
ALTER TABLE minute_quotas DROP CONSTRAINT minute_quotas_user_company_fkey;
DELETE FROM minute_quotas WHERE user_id IS NOT NULL;
ALTER TABLE minute_quotas DROP COLUMN user_id;
ALTER TABLE minute_quotas ADD CONSTRAINT minute_quotas_company_id_key UNIQUE (company_id);
ALTER TABLE transcripts DROP COLUMN turns;
DROP INDEX sessions_live_activity_idx, sessions_one_live_per_user;
ALTER TABLE sessions
    DROP COLUMN provider_conversation_id, DROP COLUMN feedback_status, DROP COLUMN end_reason,
    DROP COLUMN last_activity_at, DROP COLUMN minutes_billed, DROP COLUMN mode,
    DROP COLUMN scenario_id;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
