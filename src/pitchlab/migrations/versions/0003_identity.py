"""Identity: email verification, refresh-token families, invitations, consents, the email outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Two kinds of protected table here:
- tenant tables (invitations, consents) follow 0001's rule: the transaction's company, or system;
- system tables (tokens, outbox) hold secrets that no request should read by accident, so only a
  transaction that asked for the system context sees them at all.
"""

from collections.abc import Sequence

from alembic import op

# The closed sets are the models' own; the CHECK text they produce is what this revision always
# created (tests/database/test_identity_values.py compares it with the migrated schema).
from pitchlab.models.values import INVITABLE_ROLES, ConsentKind, OutboxStatus, one_of

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_RULE = "(company_id = pitchlab_current_company() OR pitchlab_is_system())"
SYSTEM_RULE = "(pitchlab_is_system())"
PROTECTED_TABLES = {
    "invitations": TENANT_RULE,
    "consents": TENANT_RULE,
    "email_verification_tokens": SYSTEM_RULE,
    "refresh_tokens": SYSTEM_RULE,
    "email_outbox": SYSTEM_RULE,
}

SCHEMA = f"""
ALTER TABLE users
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN disabled_at timestamptz;

CREATE TABLE email_verification_tokens (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  text        NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_verification_tokens_user_id_idx ON email_verification_tokens (user_id);

-- A family is one login's chain of refresh tokens; reuse of a spent one revokes the chain.
CREATE TABLE refresh_tokens (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    family_id   uuid        NOT NULL,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  text        NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE invitations (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id   uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email        text        NOT NULL,
    role         text        NOT NULL CHECK ({one_of('role', INVITABLE_ROLES)}),
    token_hash   text        NOT NULL UNIQUE,
    invited_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_company_id_idx ON invitations (company_id);
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by);

-- Append-only: the latest row per (user, kind) is the user's current answer.
CREATE TABLE consents (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_id  uuid        REFERENCES companies (id) ON DELETE CASCADE,
    kind        text        NOT NULL
                CHECK ({one_of('kind', ConsentKind)}),
    granted     boolean     NOT NULL,
    version     text        NOT NULL CHECK (length(version) BETWEEN 1 AND 50),
    ip          text,
    user_agent  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_user_id_kind_idx ON consents (user_id, kind, created_at DESC);
CREATE INDEX consents_company_id_idx ON consents (company_id);

-- Every email is written here in the transaction that causes it, then sent by a job; a send that
-- fails is retried from this row, never lost.
CREATE TABLE email_outbox (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind                 text        NOT NULL,
    to_address           text        NOT NULL,
    subject              text        NOT NULL,
    text_body            text        NOT NULL,
    html_body            text        NOT NULL,
    links                jsonb       NOT NULL DEFAULT '[]',
    status               text        NOT NULL DEFAULT 'pending'
                         CHECK ({one_of('status', OutboxStatus)}),
    provider             text,
    provider_message_id  text,
    attempts             integer     NOT NULL DEFAULT 0,
    last_error           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz
);
CREATE INDEX email_outbox_to_address_idx ON email_outbox (lower(to_address), created_at DESC);
CREATE INDEX email_outbox_pending_idx ON email_outbox (created_at) WHERE status = 'pending';
"""


def upgrade() -> None:
    op.execute(SCHEMA)
    for table, rule in PROTECTED_TABLES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_isolation ON {table} FOR ALL USING {rule} WITH CHECK {rule}"
        )


def downgrade() -> None:
    for table in reversed(list(PROTECTED_TABLES)):
        op.execute(f"DROP TABLE {table}")
    op.execute("ALTER TABLE users DROP COLUMN disabled_at, DROP COLUMN email_verified_at")
