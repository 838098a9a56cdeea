"""Recordings: real calls uploaded for feedback, their monthly allowance, and a call's language.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28

``recordings``: an uploaded audio file or meeting transcript (WebVTT/SRT). The file itself is
in the storage (a local folder or an S3-compatible bucket) under ``storage_key``; the row holds
what was read from it: the speakers found, the utterances (who said what, when), which speaker
is the rep, the duration. Once the rep's speaker is known the recording becomes a call
(``session_id``: a ``sessions`` row of mode ``recording`` with its transcript), scored by the
same feedback worker as a practice call, listed in the same history and analytics.

``recording_usage``: the seconds of recordings a company used in a calendar month (UTC), metered
by one conditional upsert so that concurrent uploads never pass the plan's allowance.

``sessions.language``: the language a call was held in (a recording's, or its scenario's when
the call began), which the analysis counts fillers and questions in; null before this revision
(English). ``sessions.scorecard_id``: the scorecard a call is graded on when no scenario says
(a recording's, chosen on upload; no foreign key, as ``scenario_id``: scorecards are archived,
never deleted). ``sessions.mode`` gains ``recording``.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_RULE = "(company_id = pitchlab_current_company() OR pitchlab_is_system())"
NEW_TABLES = ("recordings", "recording_usage")
LANGUAGES = "('en', 'es', 'de', 'fr')"

RECORDINGS = f"""
CREATE TABLE recordings (
    id                uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id        uuid          NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id           uuid          NOT NULL,
    title             text          NOT NULL,
    kind              text          NOT NULL,
    media_type        text          NOT NULL,
    size_bytes        bigint        NOT NULL,
    storage_key       text          NOT NULL UNIQUE,
    language          text,
    status            text          NOT NULL,
    failure           text,
    speakers          jsonb         NOT NULL DEFAULT '[]',
    rep_speaker       text,
    scorecard_id      uuid,
    utterances        jsonb,
    duration_seconds  numeric(10,3),
    metered_seconds   integer       NOT NULL DEFAULT 0,
    metered_month     date,
    session_id        uuid,
    created_at        timestamptz   NOT NULL DEFAULT now(),
    updated_at        timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT recordings_kind_check CHECK (kind IN ('audio', 'transcript')),
    CONSTRAINT recordings_status_check
        CHECK (status IN ('processing', 'needs_speaker', 'ready', 'failed')),
    CONSTRAINT recordings_language_check CHECK (language IN {LANGUAGES}),
    CONSTRAINT recordings_size_check CHECK (size_bytes >= 0),
    CONSTRAINT recordings_metered_check CHECK (metered_seconds >= 0),
    CONSTRAINT recordings_session_company_fkey FOREIGN KEY (session_id, company_id)
        REFERENCES sessions (id, company_id) ON DELETE SET NULL (session_id),
    CONSTRAINT recordings_user_company_fkey FOREIGN KEY (user_id, company_id)
        REFERENCES users (id, company_id) ON DELETE CASCADE
);
CREATE INDEX recordings_company_id_idx ON recordings (company_id);
CREATE INDEX recordings_user_id_idx ON recordings (user_id, company_id, created_at DESC);
CREATE INDEX recordings_session_id_idx ON recordings (session_id, company_id);
CREATE TRIGGER recordings_touch_updated_at BEFORE UPDATE ON recordings
    FOR EACH ROW EXECUTE FUNCTION pitchlab_touch_updated_at();
"""

USAGE = """
CREATE TABLE recording_usage (
    company_id    uuid     NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    month         date     NOT NULL,
    used_seconds  integer  NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, month),
    CONSTRAINT recording_usage_used_check CHECK (used_seconds >= 0)
);
"""

SESSIONS = f"""
ALTER TABLE sessions ADD COLUMN language text,
    ADD COLUMN scorecard_id uuid,
    ADD CONSTRAINT sessions_language_check CHECK (language IN {LANGUAGES}),
    DROP CONSTRAINT sessions_mode_check,
    ADD CONSTRAINT sessions_mode_check CHECK (mode IN ('voice', 'text', 'recording'));
"""

AUDIT_BEFORE = (
    "user.signed_up", "user.logged_in", "user.login_failed", "user.email_verified",
    "user.password_changed", "user.api_key_changed", "user.deleted", "user.data_exported",
    "consent.recorded", "subscription.changed", "user.role_changed", "user.disabled",
    "user.enabled", "invitation.created", "quota.changed", "company.settings_changed",
    "company.data_exported", "company.deleted", "scorecard.created", "scorecard.changed",
    "scenario.created", "scenario.changed", "scenario.archived",
    "assignment.created", "assignment.withdrawn",
)
AUDIT_ADDED = ("recording.uploaded", "recording.deleted")


def _audit_check(actions: Sequence[str]) -> str:
    words = ", ".join(f"'{action}'" for action in actions)
    return (
        "ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_action_check, "
        f"ADD CONSTRAINT audit_logs_action_check CHECK (action IN ({words}))"
    )


def upgrade() -> None:
    op.execute(SESSIONS)
    op.execute(RECORDINGS)
    op.execute(USAGE)
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
    # As 0015: entries of the newer actions make the older CHECK refuse, rather than deleting
    # history. Recording calls are removed with their recordings (their files stay in storage).
    op.execute(_audit_check(AUDIT_BEFORE))
    op.execute("DROP TABLE recording_usage, recordings")
    op.execute("DELETE FROM sessions WHERE mode = 'recording'")
    op.execute("ALTER TABLE sessions DROP CONSTRAINT sessions_mode_check,"
               " ADD CONSTRAINT sessions_mode_check CHECK (mode IN ('voice', 'text')),"
               " DROP COLUMN language, DROP COLUMN scorecard_id")
