"""Foundation: the design's eight tables, the application role and row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Migrations run as the owner. The service connects as the application role (``pitchlab_app``, or
``PITCHLAB_DATABASE_APP_ROLE``; neither owner nor superuser, no BYPASSRLS), so the policies below
bind it. Every tenant table is FORCE'd, so even the owner sees only what the transaction's context
allows unless it is a superuser.

Roles belong to the whole PostgreSQL cluster, not to one database: the upgrade creates the role
only when it is missing (with no password: ``pitchlab db upgrade`` creates it first, with one), and
the downgrade takes back its grants here but leaves the role, which other databases on the same
server may still use.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None



def app_role() -> tuple[str, str]:
    """The application role as a quoted identifier and as a string literal. The name is the
    deployment's (env.py hands it over, checked); it is quoted here all the same."""
    config = op.get_context().config
    if config is None:
        raise RuntimeError("run the migrations through env.py: it names the application role")
    name: str = config.attributes["app_role"]
    return '"' + name.replace('"', '""') + '"', "'" + name.replace("'", "''") + "'"


# table -> the column that names the owning company
TENANT_TABLES = {
    "companies": "id",
    "users": "company_id",
    "subscriptions": "company_id",
    "sessions": "company_id",
    "transcripts": "company_id",
    "feedback": "company_id",
    "usage_records": "company_id",
    "minute_quotas": "company_id",
}
TABLES_WITH_UPDATED_AT = ("companies", "users", "subscriptions", "minute_quotas")

FUNCTIONS = """
CREATE FUNCTION pitchlab_current_company() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.company_id', true), '')::uuid $$;

CREATE FUNCTION pitchlab_is_system() RETURNS boolean
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(current_setting('app.context', true), '') = 'system' $$;

CREATE FUNCTION pitchlab_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
"""

TABLES = """
CREATE TABLE companies (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    stripe_customer_id  text        UNIQUE,
    trial_expires_at    timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email            text        NOT NULL,
    hashed_password  text        NOT NULL,
    name             text,
    role             text        NOT NULL CHECK (role IN ('super_admin', 'admin', 'user')),
    company_id       uuid        REFERENCES companies (id) ON DELETE CASCADE,
    api_keys         jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- a platform operator belongs to no company; everybody else belongs to exactly one
    CONSTRAINT users_company_matches_role
        CHECK ((role = 'super_admin') = (company_id IS NULL)),
    -- lets sessions insist that their user is of their company
    CONSTRAINT users_id_company_key UNIQUE (id, company_id)
);
-- emails compare case-insensitively, and each address has one account
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_company_id_idx ON users (company_id);

CREATE TABLE subscriptions (
    id                      uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id              uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    stripe_subscription_id  text        NOT NULL UNIQUE,
    plan_id                 text        NOT NULL,
    status                  text        NOT NULL,
    current_period_start    timestamptz,
    current_period_end      timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_company_id_idx ON subscriptions (company_id);

CREATE TABLE sessions (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL,
    company_id  uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    status      text        NOT NULL CHECK (status IN ('in_progress', 'completed', 'cancelled')),
    CONSTRAINT sessions_user_company_fkey FOREIGN KEY (user_id, company_id)
        REFERENCES users (id, company_id) ON DELETE CASCADE,
    CONSTRAINT sessions_id_company_key UNIQUE (id, company_id),
    CONSTRAINT sessions_ended_after_start CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX sessions_user_id_company_id_idx ON sessions (user_id, company_id);
CREATE INDEX sessions_company_id_idx ON sessions (company_id);

-- Rows that hang off a session carry its company_id too, so that row-level security is a plain
-- column comparison; the composite foreign key keeps the copy honest.
CREATE TABLE transcripts (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id       uuid        NOT NULL UNIQUE,
    company_id       uuid        NOT NULL,
    transcript_text  text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT transcripts_session_company_fkey FOREIGN KEY (session_id, company_id)
        REFERENCES sessions (id, company_id) ON DELETE CASCADE
);
CREATE INDEX transcripts_company_id_idx ON transcripts (company_id);

CREATE TABLE feedback (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id  uuid        NOT NULL UNIQUE,
    company_id  uuid        NOT NULL,
    metrics     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT feedback_session_company_fkey FOREIGN KEY (session_id, company_id)
        REFERENCES sessions (id, company_id) ON DELETE CASCADE
);
CREATE INDEX feedback_company_id_idx ON feedback (company_id);

-- The minute ledger: one row per session, kept (user unlinked) when a user is erased, because
-- it is also the company's billing record.
CREATE TABLE usage_records (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid        REFERENCES users (id) ON DELETE SET NULL,
    session_id    uuid        UNIQUE REFERENCES sessions (id) ON DELETE SET NULL,
    company_id    uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    minutes_used  integer     NOT NULL CHECK (minutes_used >= 0),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_records_user_id_idx ON usage_records (user_id);
CREATE INDEX usage_records_company_id_idx ON usage_records (company_id);

CREATE TABLE minute_quotas (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id     uuid        NOT NULL UNIQUE REFERENCES companies (id) ON DELETE CASCADE,
    total_minutes  integer     NOT NULL CHECK (total_minutes >= 0),
    used_minutes   integer     NOT NULL DEFAULT 0 CHECK (used_minutes >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
"""

CREATE_APP_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) THEN
        CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), {literal});
END $$;
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
-- /readyz compares this to the code's head; the service must never move it.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role};
"""


def upgrade() -> None:
    op.execute(FUNCTIONS)
    op.execute(TABLES)
    for table in TABLES_WITH_UPDATED_AT:
        op.execute(
            f"CREATE TRIGGER {table}_touch_updated_at BEFORE UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION pitchlab_touch_updated_at()"
        )
    role, literal = app_role()
    op.execute(CREATE_APP_ROLE.format(role=role, literal=literal))
    for table, company_column in TENANT_TABLES.items():
        _isolate_tenant(table, company_column)


def _isolate_tenant(table: str, company_column: str) -> None:
    rule = f"({company_column} = pitchlab_current_company() OR pitchlab_is_system())"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {table}_tenant_isolation ON {table} FOR ALL"
        f" USING {rule} WITH CHECK {rule}"
    )


def downgrade() -> None:
    role, literal = app_role()
    op.execute(
        f"""
        ALTER DEFAULT PRIVILEGES IN SCHEMA public
            REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {role};
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};
        REVOKE USAGE ON SCHEMA public FROM {role};
        DO $$ BEGIN
            EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), {literal});
        END $$;
        """
    )
    for table in reversed(list(TENANT_TABLES)):
        op.execute(f"DROP TABLE {table}")
    op.execute(
        "DROP FUNCTION pitchlab_touch_updated_at();"
        " DROP FUNCTION pitchlab_is_system();"
        " DROP FUNCTION pitchlab_current_company();"
    )
