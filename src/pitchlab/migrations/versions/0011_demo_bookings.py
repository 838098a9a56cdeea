"""Demo bookings: every request for a demo, stored before Calendly is asked to book it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10

A request is written first, so a Calendly outage loses nothing: the row stays ``pending`` and a
job retries the booking. ``invitee_uri`` and ``event_uri`` are Calendly's references once it has
booked; its webhooks (invitee.created / invitee.canceled) find the row by them, or by the
invitee's email and start time when the booking was made on Calendly's own page.

Platform data, like the webhook inbox (0007): a prospect asking for a demo belongs to no company
yet, so there is no tenant column and only a transaction in a named system context sees a row.

The status values are those of ``pitchlab.models.values.DemoBookingStatus`` as of this revision,
written out: a migration must not change meaning when the application's code does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = """
CREATE TABLE demo_bookings (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text        NOT NULL,
    email         text        NOT NULL,
    company       text        NOT NULL,
    start_time    timestamptz NOT NULL,
    timezone      text        NOT NULL,
    notes         text,
    status        text        NOT NULL DEFAULT 'pending',
    booking_url   text,
    invitee_uri   text,
    event_uri     text,
    attempts      integer     NOT NULL DEFAULT 0,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT demo_bookings_status_check
        CHECK (status IN ('pending', 'booked', 'link_sent', 'canceled')),
    CONSTRAINT demo_bookings_attempts_check CHECK (attempts >= 0)
);
CREATE INDEX demo_bookings_invitee_idx ON demo_bookings (lower(email), start_time);
CREATE UNIQUE INDEX demo_bookings_invitee_uri_key ON demo_bookings (invitee_uri)
    WHERE invitee_uri IS NOT NULL;
ALTER TABLE demo_bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE demo_bookings FORCE ROW LEVEL SECURITY;
CREATE TRIGGER demo_bookings_touch_updated_at BEFORE UPDATE ON demo_bookings
    FOR EACH ROW EXECUTE FUNCTION pitchlab_touch_updated_at();
CREATE POLICY demo_bookings_isolation ON demo_bookings FOR ALL
    USING (pitchlab_is_system()) WITH CHECK (pitchlab_is_system());
"""


def upgrade() -> None:
    op.execute(SCHEMA)
    config = op.get_context().config
    assert config is not None  # env.py runs every migration with the project's config
    name = config.attributes["app_role"]  # the deployment's, checked by env.py
    role = '"' + name.replace('"', '""') + '"'
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON demo_bookings TO {role}")


def downgrade() -> None:
    op.execute("DROP TABLE demo_bookings")
