"""``GET /api/users/me`` with as little as possible between HTTP and the SQL, for benchmarks only:
where api.py's milliseconds go, layer by layer.

The same server (uvicorn, uvloop, httptools), the same token check
(``pitchlab.security.tokens.decode_access_token``), the same three statements in one transaction
(tenant context, user, company; api.py's bare baseline) and the same response model
(``UserOut``), but none of the app's middlewares, no SQLAlchemy session or unit of work and no
token-still-valid rules beyond the row existing. Two ways to the database:

- ``--db psycopg``: a queue of 10 psycopg connections (the bare baseline's driver use);
- ``--db core``: SQLAlchemy's async engine (10 + 10 connections, pre-ping, as the app's), Core
  ``text()`` statements on a connection, no ORM session.

    python benchmarks/thin_me.py --port P --db psycopg|core

Settings from the environment, as for `pitchlab serve` (api.py passes serve_env()).
"""


import argparse
import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import psycopg
import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import create_async_engine

from pitchlab.database_setup import libpq_dsn
from pitchlab.db import normalize_url
from pitchlab.security.tokens import AccessClaims, InvalidToken, decode_access_token
from pitchlab.users.schemas import ApiKeysOut, ApiKeyStatus, CompanyOut, UserOut

POOL_SIZE = 10
SET_CONTEXT = ("SELECT set_config('app.company_id', %s, true), set_config('app.context', %s,"
               " true), set_config('app.system_reason', %s, true)")
USER = ("SELECT id, email, name, role, company_id, api_keys, created_at, updated_at,"
        " email_verified_at FROM users WHERE id = %s")
COMPANY = "SELECT id, name, trial_expires_at FROM companies WHERE id = %s"
NO_KEY = ApiKeyStatus(configured=False)


def app_url() -> URL:
    owner = normalize_url(os.environ["PITCHLAB_DATABASE_URL"])
    return owner.set(username="pitchlab_app", password=os.environ["PITCHLAB_DATABASE_APP_PASSWORD"])


class PsycopgRows:
    """Three statements on one of 10 pooled psycopg connections."""

    async def open(self) -> None:
        self.pool: asyncio.Queue[psycopg.AsyncConnection] = asyncio.Queue()
        for _ in range(POOL_SIZE):
            self.pool.put_nowait(await psycopg.AsyncConnection.connect(libpq_dsn(app_url()),
                                                                      autocommit=True))

    async def rows(self, claims: AccessClaims) -> tuple[Any, Any]:
        conn = await self.pool.get()
        try:
            async with conn.transaction():
                await conn.execute(SET_CONTEXT, (str(claims.company_id), "", ""))
                user = await (await conn.execute(USER, (claims.user_id,))).fetchone()
                company = await (await conn.execute(COMPANY, (claims.company_id,))).fetchone()
        finally:
            self.pool.put_nowait(conn)
        return user, company


class CoreRows:
    """The same through SQLAlchemy's async engine and Core, no ORM session."""

    async def open(self) -> None:
        self.engine = create_async_engine(app_url(), pool_size=POOL_SIZE, max_overflow=POOL_SIZE,
                                          pool_pre_ping=True)
        self.set_context = text(SET_CONTEXT.replace("%s", ":v", 1).replace("%s", "''"))
        self.user = text(USER.replace("%s", ":id"))
        self.company = text(COMPANY.replace("%s", ":id"))

    async def rows(self, claims: AccessClaims) -> tuple[Any, Any]:
        async with self.engine.begin() as conn:
            await conn.execute(self.set_context, {"v": str(claims.company_id)})
            user = (await conn.execute(self.user, {"id": claims.user_id})).first()
            company = (await conn.execute(self.company, {"id": claims.company_id})).first()
        return user, company


def build(db: str) -> FastAPI:
    source = PsycopgRows() if db == "psycopg" else CoreRows()
    secret = os.environ["PITCHLAB_JWT_SECRET"]
    bearer = HTTPBearer(auto_error=False)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await source.open()
        yield

    app = FastAPI(lifespan=lifespan)

    async def claims_of(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> AccessClaims:
        try:
            return decode_access_token(secret, credentials.credentials if credentials else "")
        except InvalidToken:
            raise HTTPException(401) from None

    @app.get("/api/users/me", response_model=UserOut)
    async def me(claims: Annotated[AccessClaims, Depends(claims_of)]) -> UserOut:
        user, company = await source.rows(claims)
        if user is None:
            raise HTTPException(401)
        return UserOut(
            id=user[0], email=user[1], name=user[2], role=user[3],
            email_verified=user[8] is not None,
            company=CompanyOut(id=company[0], name=company[1], trial_expires_at=company[2]),
            api_keys=ApiKeysOut(openai=NO_KEY, elevenlabs=NO_KEY),  # the seeded users have none
            created_at=user[6], updated_at=user[7])

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", choices=("psycopg", "core"), required=True)
    args = parser.parse_args()
    uvicorn.run(build(args.db), host="127.0.0.1", port=args.port, loop="uvloop",
                http="httptools", log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
