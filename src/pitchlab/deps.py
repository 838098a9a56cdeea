"""FastAPI dependencies shared by every router: the unit of work, settings, the client's IP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.config import Settings
from pitchlab.db import Database
from pitchlab.providers import Providers


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint returns, rolled back when it
    raises, before the response is sent (scope="function"), so a failed commit is a 500, never a
    success the database did not keep."""
    database: Database = request.app.state.database
    async with database.transaction() as session:
        yield session


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _database(request: Request) -> Database:
    return request.app.state.database


def _providers(request: Request) -> Providers:
    return request.app.state.providers


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]
AppSettings = Annotated[Settings, Depends(_settings)]
AppDatabase = Annotated[Database, Depends(_database)]
AppProviders = Annotated[Providers, Depends(_providers)]
ClientIp = Annotated[str, Depends(client_ip)]
