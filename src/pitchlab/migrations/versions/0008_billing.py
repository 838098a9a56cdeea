"""Billing: the subscription mirror's Stripe fields, minute grants once per payment, notices once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

- ``subscriptions`` gains what Pitchlab reads of Stripe's subscription (its price, the
  cancellation and trial dates) and a CHECK on the status (Stripe's statuses as of this
  revision, written out).
- ``minute_quotas.period_start``: when the period its ``used_minutes`` count in began.
- ``minute_grants``: one row per invoice or top-up checkout that gave minutes. Its UNIQUE
  ``stripe_object_id`` is what makes "once per invoice" hold whatever the webhooks do.
- ``billing_notices``: one row per email sent to a company's admins about billing; its UNIQUE
  ``(company_id, kind, occasion)`` makes each notice go once.

The two new tables are tenant data (a company's), guarded like the others by row-level security.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_RULE = "(company_id = pitchlab_current_company() OR pitchlab_is_system())"
NEW_TABLES = ("minute_grants", "billing_notices")

SCHEMA = """
ALTER TABLE subscriptions
    ADD COLUMN stripe_price_id       text,
    ADD COLUMN cancel_at_period_end  boolean NOT NULL DEFAULT false,
    ADD COLUMN canceled_at           timestamptz,
    ADD COLUMN ended_at              timestamptz,
    ADD COLUMN trial_end             timestamptz,
    ADD CONSTRAINT subscriptions_status_check CHECK (status IN (
        'incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled',
        'unpaid', 'paused'));

ALTER TABLE minute_quotas ADD COLUMN period_start timestamptz NOT NULL DEFAULT now();

CREATE TABLE minute_grants (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id        uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind              text        NOT NULL,
    stripe_object_id  text        NOT NULL UNIQUE,
    item_id           text        NOT NULL,
    minutes           integer     NOT NULL,
    period_start      timestamptz,
    period_end        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT minute_grants_kind_check CHECK (kind IN ('period', 'top_up')),
    CONSTRAINT minute_grants_minutes_check CHECK (minutes >= 0)
);
CREATE INDEX minute_grants_company_id_idx ON minute_grants (company_id, period_start);

CREATE TABLE billing_notices (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id  uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind        text        NOT NULL,
    occasion    text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_notices_once_key UNIQUE (company_id, kind, occasion)
);
"""


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


def downgrade() -> None:
    op.execute("DROP TABLE billing_notices, minute_grants")
    op.execute("ALTER TABLE minute_quotas DROP COLUMN period_start")
    op.execute(
        "ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check,"
        " DROP COLUMN stripe_price_id, DROP COLUMN cancel_at_period_end,"
        " DROP COLUMN canceled_at, DROP COLUMN ended_at, DROP COLUMN trial_end"
    )
