"""Coaching: a company's own scenarios, assignments, and each call's overall score.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28

``scenarios`` holds a company's own role-plays (the built-ins live in code and are read-only).
A scenario is archived, never deleted: past calls name it (``sessions.scenario_id`` is text,
a built-in's slug or a company scenario's id) and history keeps showing its name. Its scorecard
belongs to the same company (the foreign key names the company).

``assignments``: an admin asks a rep to practise a scenario, by a date, to a target score; one
row per (scenario, rep), so assigning again changes the date and target. Progress (best score,
completion) is read from the rep's calls, not stored.

``feedback.score``: the call's overall score, 1..5 (the scorecard's weighted score when the
scenario has one, else the mean of the scored standard skills), null when nothing was scored;
a column so that assignments, analytics and the leaderboard aggregate it in SQL.

Tenant data: row-level security on the company context, as every tenant table. The audit CHECK
gains the scenario and assignment actions, written out as of this revision.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_RULE = "(company_id = pitchlab_current_company() OR pitchlab_is_system())"
NEW_TABLES = ("scenarios", "assignments")

SCENARIOS = """
CREATE TABLE scenarios (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id          uuid        NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name                text        NOT NULL,
    description         text        NOT NULL,
    persona             jsonb       NOT NULL,
    company_background  text        NOT NULL,
    call_type           text        NOT NULL,
    difficulty          text        NOT NULL,
    language            text        NOT NULL,
    pains               jsonb       NOT NULL DEFAULT '[]',
    objections          jsonb       NOT NULL DEFAULT '[]',
    success_criteria    text        NOT NULL,
    first_message       text        NOT NULL,
    scorecard_id        uuid,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    archived_at         timestamptz,
    CONSTRAINT scenarios_call_type_check CHECK (call_type IN
        ('cold_call', 'discovery', 'demo', 'objection_handling', 'closing')),
    CONSTRAINT scenarios_difficulty_check CHECK (difficulty IN ('easy', 'medium', 'hard')),
    CONSTRAINT scenarios_language_check CHECK (language IN ('en', 'es', 'de', 'fr')),
    CONSTRAINT scenarios_id_company_key UNIQUE (id, company_id),
    CONSTRAINT scenarios_scorecard_company_fkey FOREIGN KEY (scorecard_id, company_id)
        REFERENCES scorecards (id, company_id)
);
CREATE INDEX scenarios_company_id_idx ON scenarios (company_id, created_at);
CREATE INDEX scenarios_scorecard_id_idx ON scenarios (scorecard_id, company_id);
CREATE TRIGGER scenarios_touch_updated_at BEFORE UPDATE ON scenarios
    FOR EACH ROW EXECUTE FUNCTION pitchlab_touch_updated_at();
"""

ASSIGNMENTS = """
CREATE TABLE assignments (
    id            uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    company_id    uuid         NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    scenario_id   text         NOT NULL,
    user_id       uuid         NOT NULL,
    due_at        timestamptz,
    target_score  numeric(3,2),
    created_at    timestamptz  NOT NULL DEFAULT now(),
    updated_at    timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT assignments_target_score_check CHECK (target_score BETWEEN 1 AND 5),
    CONSTRAINT assignments_user_company_fkey FOREIGN KEY (user_id, company_id)
        REFERENCES users (id, company_id) ON DELETE CASCADE,
    CONSTRAINT assignments_scenario_user_key UNIQUE (company_id, scenario_id, user_id)
);
CREATE INDEX assignments_user_id_idx ON assignments (user_id, company_id);
CREATE TRIGGER assignments_touch_updated_at BEFORE UPDATE ON assignments
    FOR EACH ROW EXECUTE FUNCTION pitchlab_touch_updated_at();
"""

FEEDBACK_SCORE = """
ALTER TABLE feedback ADD COLUMN score numeric(3,2),
    ADD CONSTRAINT feedback_score_check CHECK (score BETWEEN 1 AND 5);
"""

AUDIT_BEFORE = (
    "user.signed_up", "user.logged_in", "user.login_failed", "user.email_verified",
    "user.password_changed", "user.api_key_changed", "user.deleted", "user.data_exported",
    "consent.recorded", "subscription.changed", "user.role_changed", "user.disabled",
    "user.enabled", "invitation.created", "quota.changed", "company.settings_changed",
    "company.data_exported", "company.deleted", "scorecard.created", "scorecard.changed",
)
AUDIT_ADDED = ("scenario.created", "scenario.changed", "scenario.archived",
               "assignment.created", "assignment.withdrawn")

# --- analytics (issue 17, its own block) -----------------------------------------------------
# The figures analytics aggregates, read out of ``feedback.metrics`` once, when the row is
# written, as generated columns: aggregating 20,000 reports by reading the JSON at request time
# costs about a second; these narrow float8 columns (cheap to average) keep it near 200 ms.
# Generated, so the feedback worker writes nothing new and old rows are filled by the ALTER. The skills
# and criteria keep only what was scored (a column per standard skill, ``[{id, name, score}]``).
# The five standard skills as of this revision (FEEDBACK.md).
ANALYTICS_SKILLS = ("discovery", "objection_handling", "rapport", "value_articulation",
                    "closing")
ANALYTICS_FUNCTIONS = """
CREATE FUNCTION pitchlab_number(value jsonb) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN jsonb_typeof(value) = 'number' THEN value::float8 END;
CREATE FUNCTION pitchlab_scored_skill(metrics jsonb, skill text) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN metrics -> 'skill_scores' -> skill ->> 'status' = 'scored'
                THEN pitchlab_number(metrics -> 'skill_scores' -> skill -> 'score') END;
CREATE FUNCTION pitchlab_scored_criteria(metrics jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'id', e ->> 'id', 'name', coalesce(e ->> 'name', e ->> 'id'),
                       'score', e -> 'score')), '[]'::jsonb)
            FROM jsonb_array_elements(
                CASE WHEN jsonb_typeof(metrics -> 'scorecard' -> 'criteria') = 'array'
                     THEN metrics -> 'scorecard' -> 'criteria' ELSE '[]'::jsonb END) e
            WHERE jsonb_typeof(e) = 'object' AND e ->> 'id' IS NOT NULL
              AND jsonb_typeof(e -> 'score') = 'number');
"""
ANALYTICS_COLUMNS = """
ALTER TABLE feedback
    ADD COLUMN call_type text GENERATED ALWAYS AS (metrics ->> 'call_type') STORED,
    ADD COLUMN talk_ratio float8
        GENERATED ALWAYS AS (pitchlab_number(metrics -> 'talk_ratio')) STORED,
    ADD COLUMN fillers_per_100_words float8
        GENERATED ALWAYS AS (pitchlab_number(metrics -> 'filler_words' -> 'per_100_words')) STORED,
    ADD COLUMN questions_per_10_minutes float8
        GENERATED ALWAYS AS (pitchlab_number(metrics -> 'questions_per_10_minutes')) STORED,
""" + "".join(
    f"    ADD COLUMN skill_{skill} float8\n"
    f"        GENERATED ALWAYS AS (pitchlab_scored_skill(metrics, '{skill}')) STORED,\n"
    for skill in ANALYTICS_SKILLS) + """    ADD COLUMN criterion_scores jsonb
        GENERATED ALWAYS AS (pitchlab_scored_criteria(metrics)) STORED;
"""
ANALYTICS_DROP = """
ALTER TABLE feedback DROP COLUMN call_type, DROP COLUMN talk_ratio,
    DROP COLUMN fillers_per_100_words, DROP COLUMN questions_per_10_minutes,
    DROP COLUMN criterion_scores, """ + ", ".join(
    f"DROP COLUMN skill_{skill}" for skill in ANALYTICS_SKILLS) + """;
DROP FUNCTION pitchlab_scored_criteria(jsonb), pitchlab_scored_skill(jsonb, text),
    pitchlab_number(jsonb);
"""


def _audit_check(actions: Sequence[str]) -> str:
    words = ", ".join(f"'{action}'" for action in actions)
    return (
        "ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_action_check, "
        f"ADD CONSTRAINT audit_logs_action_check CHECK (action IN ({words}))"
    )


def upgrade() -> None:
    op.execute(SCENARIOS)
    op.execute(ASSIGNMENTS)
    op.execute(FEEDBACK_SCORE)
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
    # analytics
    op.execute(ANALYTICS_FUNCTIONS)
    op.execute(ANALYTICS_COLUMNS)


def downgrade() -> None:
    # Entries of the newer actions would break the older CHECK: a downgrade refuses then,
    # rather than deleting history (the audit table is append-only by design), as 0012 does.
    op.execute(_audit_check(AUDIT_BEFORE))
    # analytics
    op.execute(ANALYTICS_DROP)
    op.execute("ALTER TABLE feedback DROP COLUMN score")
    op.execute("DROP TABLE assignments, scenarios")
