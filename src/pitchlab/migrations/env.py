"""Alembic environment: migrations run as the database owner, one transaction, one at a time."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import URL

from pitchlab.config import Settings
from pitchlab.db import checked_role_name, normalize_url
from pitchlab.models import Base
from pitchlab.models.base import owned_by_models

# Any constant works; it only has to be the same for every process that migrates this database.
_MIGRATION_LOCK_KEY = 7_305_114_201


def _owner_url() -> URL:
    url: URL | None = context.config.attributes.get("owner_url")
    if url is not None:
        return url
    settings = Settings()
    if settings.database_url is None:
        raise RuntimeError("set PITCHLAB_DATABASE_URL, or run `pitchlab db upgrade`")
    return normalize_url(settings.database_url.get_secret_value())


def _resolve_app_role() -> None:
    """The migrations grant to the deployment's application role; they read its name from the
    config's attributes (set by ``database_setup``, else from the settings)."""
    attributes = context.config.attributes
    if "app_role" not in attributes:
        attributes["app_role"] = Settings().database_app_role
    checked_role_name(attributes["app_role"])


def run_migrations_online() -> None:
    _resolve_app_role()
    engine = create_engine(_owner_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        # Two processes starting at once (server and worker) must not both migrate. The lock is
        # per connection, so it outlives the transaction that takes it.
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                transaction_per_migration=False,
                compare_type=True,
                include_name=owned_by_models,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.in_transaction():
                connection.rollback()
            connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
