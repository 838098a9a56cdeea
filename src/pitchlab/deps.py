"""The running app's resources (``AppContext``) and the FastAPI dependencies that hand them out.

``create_app``'s lifespan builds one ``AppContext`` and keeps it as ``app.state.context``. Routers
read it only through the dependencies below; WebSocket and ASGI code, which FastAPI's
dependencies do not reach, through ``context_of``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from uuid import UUID

import procrastinate
from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection, Request

from pitchlab.config import ResolvedSettings
from pitchlab.db import Database
from pitchlab.http.metrics import HttpMetrics
from pitchlab.jobs.supervisor import WorkerHealth
from pitchlab.providers import Providers
from pitchlab.security.ratelimit import RateLimiter
from pitchlab.security.vault import Vault

# Closes one live stream with a WebSocket close code and reason.
# A coroutine function, not any awaitable: the registry runs each closer as a task.
StreamCloser = Callable[[int, str], Coroutine[Any, Any, None]]


class LiveStreamRegistry(Protocol):
    """The streams this process serves, by session id (``practice.live.LiveStreams``)."""

    def register(self, session_id: UUID, closer: StreamCloser) -> None: ...

    def unregister(self, session_id: UUID, closer: StreamCloser) -> None: ...

    def close(self, session_id: UUID, code: int = ..., reason: str = ...) -> None: ...

    def __len__(self) -> int: ...

    # the shutdown (practice.shutdown): no new stream or call while draining
    draining: bool

    def session_ids(self) -> list[UUID]: ...

    async def stop(self, session_id: UUID, code: int, reason: str) -> None: ...

    async def wait_for_change(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class AppContext:
    """Everything the running app holds, built once per process (its lifespan)."""

    settings: ResolvedSettings
    database: Database
    providers: Providers
    vault: Vault
    limiter: RateLimiter
    metrics: HttpMetrics
    live_streams: LiveStreamRegistry
    jobs: procrastinate.App  # the job queue, open for the app's lifetime
    # The migration this code was written for: /readyz compares the database's with it.
    expected_revision: str
    # The in-process job worker's health; None when jobs run in a separate `pitchlab worker`.
    worker_health: WorkerHealth | None


def install_context(app: Any, context: AppContext) -> None:
    """Make ``context`` the app's: everything reads it through ``context_of`` or the
    dependencies below, never through other ``app.state`` attributes."""
    app.state.context = context


def context_of(holder: Any) -> AppContext:
    """The context of an app, or of the app a request or WebSocket came to."""
    app = holder.app if isinstance(holder, HTTPConnection) else holder
    context: AppContext = app.state.context
    return context


# Every dependency below is ``async def`` although none awaits: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop per dependency per request (measured: the largest
# single cost of an authenticated request after the SQL, benchmarks/api.py).
async def _context(connection: HTTPConnection) -> AppContext:
    return context_of(connection)


Context = Annotated[AppContext, Depends(_context)]


async def unit_of_work(context: Context) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint returns, rolled back when it
    raises, before the response is sent (scope="function"), so a failed commit is a 500, never a
    success the database did not keep."""
    async with context.database.transaction() as session:
        yield session


def report_database_outage(request: Request, error: Exception) -> None:
    """Logs an outage once, however many requests meet it (``db.Availability``)."""
    context: AppContext | None = getattr(request.app.state, "context", None)
    if context is not None:
        context.database.availability.report_unavailable(error)


async def client_ip(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


async def _settings(context: Context) -> ResolvedSettings:
    return context.settings


async def _database(context: Context) -> Database:
    return context.database


async def _providers(context: Context) -> Providers:
    return context.providers


async def _vault(context: Context) -> Vault:
    return context.vault


async def _limiter(context: Context) -> RateLimiter:
    return context.limiter


async def _live_streams(context: Context) -> LiveStreamRegistry:
    return context.live_streams


DbSession = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
AppSettings = Annotated[ResolvedSettings, Depends(_settings)]
AppDatabase = Annotated[Database, Depends(_database)]
AppProviders = Annotated[Providers, Depends(_providers)]
AppVault = Annotated[Vault, Depends(_vault)]
AppLimiter = Annotated[RateLimiter, Depends(_limiter)]
LiveStreams = Annotated[LiveStreamRegistry, Depends(_live_streams)]
ClientIp = Annotated[str, Depends(client_ip)]
