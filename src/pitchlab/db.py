"""Database access at run time: engines, one session per unit of work, and the tenant context.

Every transaction starts by telling PostgreSQL whose data it may see, through
``set_config('app.company_id', ..., true)`` (transaction-local, bound as a parameter). The
row-level-security policies of the migrations read it back. A session with no context sees no
tenant rows at all; system work (login lookup, webhooks, jobs, the platform operator) must ask for
a named system context explicitly.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

# The role the service connects as: not the owner, not a superuser, no BYPASSRLS.
APP_ROLE = "pitchlab_app"

_CONTEXT_KEY = "pitchlab.db_context"
_SYSTEM_REASON = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SET_CONTEXT = text(
    "SELECT set_config('app.company_id', :company_id, true),"
    " set_config('app.context', :context, true),"
    " set_config('app.system_reason', :reason, true)"
)


@dataclass(frozen=True)
class DbContext:
    """Whose rows a transaction may touch: one company, the named system, or nobody."""

    company_id: UUID | None = None
    system_reason: str | None = None

    @property
    def is_system(self) -> bool:
        return self.system_reason is not None

    def as_params(self) -> dict[str, str]:
        return {
            "company_id": str(self.company_id) if self.company_id else "",
            "context": "system" if self.is_system else "",
            "reason": self.system_reason or "",
        }


NO_TENANT = DbContext()


def tenant_context(company_id: UUID) -> DbContext:
    return DbContext(company_id=company_id)


def system_context(reason: str) -> DbContext:
    """Context that sees every company's rows. ``reason`` names the caller, for logs and review."""
    if not _SYSTEM_REASON.match(reason):
        raise ValueError("a system context needs a snake_case reason")
    return DbContext(system_reason=reason)


class TenantAwareSession(Session):
    """The sync session behind every AsyncSession here; its ``after_begin`` applies the context."""


@event.listens_for(TenantAwareSession, "after_begin")
def _apply_context_on_begin(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    # Runs at the start of every transaction, so the context survives commits.
    context: DbContext = session.info.get(_CONTEXT_KEY, NO_TENANT)
    connection.execute(_SET_CONTEXT, context.as_params())


async def use_context(session: AsyncSession, context: DbContext) -> None:
    """Switch ``session`` to ``context``, for the open transaction and every later one."""
    session.info[_CONTEXT_KEY] = context
    if session.in_transaction():
        await session.execute(_SET_CONTEXT, context.as_params())


def current_context(session: AsyncSession) -> DbContext:
    return session.info.get(_CONTEXT_KEY, NO_TENANT)


@asynccontextmanager
async def temporary_context(session: AsyncSession, context: DbContext) -> AsyncIterator[None]:
    """Run a block in ``context`` (say, system work inside a tenant request), then switch back."""
    previous = current_context(session)
    await use_context(session, context)
    try:
        yield
    finally:
        await use_context(session, previous)


def normalize_url(raw: str) -> URL:
    """Any PostgreSQL URL (``postgres://``, ``postgresql://``, another driver) as psycopg 3."""
    url = make_url(raw.replace("postgres://", "postgresql://", 1))
    if url.get_backend_name() != "postgresql":
        raise ValueError("PITCHLAB_DATABASE_URL must be a PostgreSQL URL")
    return url.set(drivername="postgresql+psycopg")


def app_role_url(owner_url: URL, password: str) -> URL:
    """The same server and database, connecting as the unprivileged application role."""
    return owner_url.set(username=APP_ROLE, password=password)


class Database:
    """The application role's connection pool and its units of work."""

    def __init__(self, url: URL, *, pool_size: int = 10, connect_timeout: int = 5) -> None:
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,  # a database restart must not leave dead connections behind
            hide_parameters=True,  # SQL errors in logs must not carry hashes, keys or transcripts
            connect_args={"connect_timeout": connect_timeout, "application_name": "pitchlab"},
        )
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=TenantAwareSession
        )

    def session(self, context: DbContext = NO_TENANT) -> AsyncSession:
        session = self.sessionmaker()
        session.info[_CONTEXT_KEY] = context
        return session

    @asynccontextmanager
    async def transaction(self, context: DbContext = NO_TENANT) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block succeeds, rolls back when it raises."""
        async with self.session(context) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
