"""The application role's name rules. Kept apart from ``db.py`` (which loads SQLAlchemy and the
job queue) so that reading the settings stays cheap for every ``pitchlab`` command."""

from __future__ import annotations

import re

# The role the service connects as (not the owner, not a superuser, no BYPASSRLS), unless
# PITCHLAB_DATABASE_APP_ROLE names another: roles are cluster-wide, so two deployments sharing a
# PostgreSQL server may each want their own.
DEFAULT_APP_ROLE = "pitchlab_app"
# Lower case, digits and underscores: the same name quoted or not, and never a reserved pg_ role.
ROLE_NAME = re.compile(r"^(?!pg_)[a-z_][a-z0-9_]{0,62}$")


def checked_role_name(role: str) -> str:
    if not ROLE_NAME.match(role):
        raise ValueError(
            "the application role must be 1-63 lower-case letters, digits or underscores,"
            " not starting with a digit or pg_"
        )
    return role
