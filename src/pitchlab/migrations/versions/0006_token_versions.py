"""Token versions, the refresh-reuse grace and canonical email addresses.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- users.token_version: every access token carries the version it was issued under; logout,
  "log out everywhere" and a password change bump it, which ends the user's access tokens at once.
- refresh_tokens.successor_sealed: the token issued from a spent one, encrypted under a key only
  the spent token's holder can derive, so that a parallel refresh within the grace gets the same
  successor (see auth/service.py).
- users.email_canonical: the NFKC case-folded address, unique, so lookalikes (fullwidth letters,
  ligatures) cannot open a second account. Existing rows are filled here; when two existing
  accounts already fold to one address, the oldest keeps it and the others keep NULL (they still
  sign in with their exact address) and are named in a warning for an operator to resolve.
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")


def _canonical(address: str) -> str:
    # A copy of pitchlab.security.emails.canonical_email as of this revision: a migration must
    # not change meaning when the application's code does.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", address).casefold())


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE users
            ADD COLUMN token_version integer NOT NULL DEFAULT 0,
            ADD COLUMN email_canonical text;
        ALTER TABLE refresh_tokens ADD COLUMN successor_sealed text;
        """
    )
    _fill_canonical_emails()
    op.execute("CREATE UNIQUE INDEX users_email_canonical_key ON users (email_canonical)")


def _fill_canonical_emails() -> None:
    bind = op.get_bind()
    # users has FORCE ROW LEVEL SECURITY: an owner that is no superuser sees rows only as system.
    bind.execute(sa.text("SELECT set_config('app.context', 'system', true)"))
    # Filling a derived column is no change by the user: updated_at stays as it was.
    op.execute("ALTER TABLE users DISABLE TRIGGER users_touch_updated_at")
    rows = bind.execute(sa.text("SELECT id, email FROM users ORDER BY created_at, id")).all()
    owner_of: dict[str, object] = {}
    for user_id, email in rows:
        canonical = _canonical(email)
        if canonical in owner_of:
            log.warning("users %s and %s fold to one email address; %s keeps it, resolve %s by "
                        "hand", owner_of[canonical], user_id, owner_of[canonical], user_id)
            continue
        owner_of[canonical] = user_id
    if owner_of:
        bind.execute(sa.text("UPDATE users SET email_canonical = :canonical WHERE id = :id"),
                     [{"canonical": c, "id": i} for c, i in owner_of.items()])
    op.execute("ALTER TABLE users ENABLE TRIGGER users_touch_updated_at")
    bind.execute(sa.text("SELECT set_config('app.context', '', true)"))


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX users_email_canonical_key;
        ALTER TABLE refresh_tokens DROP COLUMN successor_sealed;
        ALTER TABLE users DROP COLUMN email_canonical, DROP COLUMN token_version;
        """
    )
