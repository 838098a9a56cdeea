"""Database access at run time: engines, one session per unit of work, and the tenant context.

Every transaction starts by telling PostgreSQL whose data it may see, through
``set_config('app.company_id', ..., true)`` (transaction-local, bound as a parameter). The
row-level-security policies of the migrations read it back. A session with no context sees no
tenant rows at all; system work (login lookup, webhooks, jobs, the platform operator) must ask for
a named system context explicitly.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID

import psycopg
import psycopg_pool
from procrastinate.exceptions import ConnectorException
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from pitchlab import cache as app_cache
from pitchlab.cache import Cache, MemoryCache
from pitchlab.db_roles import DEFAULT_APP_ROLE, ROLE_NAME, checked_role_name  # noqa: F401

log = logging.getLogger(__name__)

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
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    # Runs at the start of every transaction, so the context survives commits. Not again for a
    # savepoint: the transaction around it already has the context (a round trip saved).
    if _transaction.nested:
        return
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


def app_role_url(owner_url: URL, password: str, role: str = DEFAULT_APP_ROLE) -> URL:
    """The same server and database, connecting as the unprivileged application role."""
    return owner_url.set(username=checked_role_name(role), password=password)


# SQLSTATE classes and codes that mean "the server cannot be used right now", not "this query is
# wrong": connection exceptions, insufficient resources (too many connections, disk full), and
# the server shutting down or starting up.
_UNAVAILABLE_CLASSES = ("08", "53")
_UNAVAILABLE_CODES = ("57P01", "57P02", "57P03")


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be reached or used right now (refused or lost
    connection, pool exhausted, server shutting down), which a client should retry later. False
    for faults in a query or its data (syntax, constraints, permissions, serialization), which
    are bugs or conflicts, never an outage."""
    current: BaseException | None = exc
    for _ in range(5):  # SQLAlchemy wraps procrastinate or psycopg errors at most a few deep
        if current is None:
            return False
        if isinstance(current, (sa_exc.TimeoutError, psycopg_pool.PoolTimeout)):
            return True  # no connection could be had in time: the pool is starved or dead
        if isinstance(current, sa_exc.DBAPIError):
            if current.connection_invalidated:
                return True
            current = current.orig
        elif isinstance(current, psycopg.Error):
            return _psycopg_unavailable(current)
        elif isinstance(current, ConnectorException):
            current = current.__cause__  # procrastinate wraps the psycopg error
        else:
            return False
    return False


def _psycopg_unavailable(exc: psycopg.Error) -> bool:
    state = exc.sqlstate
    if state is None:
        # Raised by the client itself: connection refused, timed out, closed or broken.
        return isinstance(exc, psycopg.OperationalError)
    return state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_CODES


class Availability:
    """Whether the database is known to be unreachable, so that an outage is logged once when it
    begins and once when it ends, rather than with a traceback per request."""

    def __init__(self) -> None:
        self.down_since: float | None = None

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def report_unavailable(self, exc: BaseException) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            log.warning("database unavailable, answering 503 until it is back: %s",
                        describe_error(exc))

    def report_available(self) -> None:
        if self.down_since is not None:
            log.warning("database available again after %.1fs",
                        time.monotonic() - self.down_since)
            self.down_since = None


def describe_error(exc: BaseException) -> str:
    """One line naming the error, without the SQL statement SQLAlchemy appends."""
    root = exc
    if isinstance(root, ConnectorException) and root.__cause__ is not None:
        root = root.__cause__
    if isinstance(root, sa_exc.DBAPIError) and root.orig is not None:
        root = root.orig
    first_line = (str(root).strip().splitlines() or [""])[0]
    return f"{type(root).__name__}: {first_line}"[:300]


class Database:
    """The application role's connection pool and its units of work."""

    def __init__(self, url: URL, *, pool_size: int = 10, connect_timeout: int = 5,
                 cache: Cache | None = None) -> None:
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
        self.availability = Availability()
        # Its units of work read through it and invalidate it on commit (pitchlab.cache).
        self.cache: Cache = cache or MemoryCache()

    def session(self, context: DbContext = NO_TENANT) -> AsyncSession:
        session = self.sessionmaker()
        session.info[_CONTEXT_KEY] = context
        app_cache.attach(session, self.cache)
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
                app_cache.rolled_back(session)
                raise
            await app_cache.committed(session)
        self.availability.report_available()

    async def ping(self, within_seconds: float) -> bool:
        """Whether the database answers ``SELECT 1`` within ``within_seconds``."""
        try:
            async with asyncio.timeout(within_seconds), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (TimeoutError, OSError, sa_exc.SQLAlchemyError, psycopg.Error):
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.cache.aclose()
