"""While the database is unreachable the API answers 503 ``service_unavailable`` with
``Retry-After`` (never a 500), logs the outage once (no traceback per request), and recovers by
itself. A database error that is not an outage (a bad query, a constraint) is still a 500."""

from __future__ import annotations

import logging

import httpx
import psycopg
import pytest
from fastapi import APIRouter
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from pitchlab.app import create_app
from pitchlab.db import is_database_unavailable
from pitchlab.deps import DbSession
from tests.auth.helpers import PASSWORD, bearer, signed_up
from tests.conftest import make_settings
from tests.fakes.tcp_proxy import through
from tests.http.test_envelope import assert_envelope

# Routes that exist only in this test app: database errors that are bugs, not outages.
_probe = APIRouter()


@_probe.get("/probe/bad-sql")
async def _bad_sql(session: DbSession) -> None:
    await session.execute(text("SELECT * FROM no_such_table"))


@_probe.get("/probe/duplicate")
async def _duplicate(session: DbSession) -> None:
    await session.execute(text("CREATE TEMP TABLE t (id int PRIMARY KEY)"))
    await session.execute(text("INSERT INTO t VALUES (1), (1)"))


@pytest.fixture
async def proxied(owner_url, proxy, tmp_path):
    settings = make_settings(through(owner_url, proxy), tmp_path,
                             database_connect_timeout_seconds=2)
    app = create_app(settings)
    app.include_router(_probe)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield app, c


def _problems(records: list[logging.LogRecord]) -> list[str]:
    """Log records that carry a traceback, or say ERROR."""
    return [f"{r.levelname} {r.name}: {r.getMessage()[:120]}" for r in records
            if r.exc_info or r.exc_text or r.levelno >= logging.ERROR]


async def test_an_outage_is_a_503_with_retry_after_logged_once_and_then_over(
    proxied, proxy, owner_url, caplog
):
    app, client = proxied
    tokens = await signed_up(client, app, owner_url)
    login = {"email": tokens["email"], "password": PASSWORD}
    assert (await client.get("/api/users/me", headers=bearer(tokens))).status_code == 200

    await proxy.stop()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            for response in (await client.get("/api/users/me", headers=bearer(tokens)),
                             await client.post("/api/auth/login", json=login)):
                assert_envelope(response, 503, "service_unavailable")
                assert response.headers["retry-after"] == "5"
        outage_records = list(caplog.records)
    assert _problems(outage_records) == []
    warnings = [r for r in outage_records if "database unavailable" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING

    await proxy.start()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert (await client.get("/api/users/me", headers=bearer(tokens))).status_code == 200
        assert (await client.post("/api/auth/login", json=login)).status_code == 200
    assert any("database available again" in r.getMessage() for r in caplog.records)

    # A second outage is a new one: logged again, once.
    await proxy.stop()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            response = await client.get("/api/users/me", headers=bearer(tokens))
            assert_envelope(response, 503, "service_unavailable")
    assert sum("database unavailable" in r.getMessage() for r in caplog.records) == 1
    await proxy.start()


async def test_database_errors_that_are_bugs_stay_500s(proxied, caplog):
    _, client = proxied
    for path in ("/probe/bad-sql", "/probe/duplicate"):
        response = await client.get(path)
        assert_envelope(response, 500, "internal_error")
    assert sum(r.msg == "unhandled error" and bool(r.exc_info) for r in caplog.records) == 2


def _wrapped(error: BaseException, **kwargs) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError.instance("SELECT 1", {}, error, psycopg.Error, **kwargs)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (psycopg.OperationalError("connection refused"), True),  # no SQLSTATE: client side
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.errors.TooManyConnections("too many clients"), True),
        (psycopg.errors.ConnectionFailure("lost"), True),
        (psycopg.errors.UndefinedTable("no such table"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
        (psycopg.errors.SerializationFailure("could not serialize"), False),
        (psycopg.errors.QueryCanceled("statement timeout"), False),
        (psycopg.errors.InsufficientPrivilege("permission denied"), False),
        (psycopg.errors.InvalidPassword("password authentication failed"), False),
        (psycopg.ProgrammingError("bad"), False),
    ],
)
def test_which_database_errors_count_as_unavailable(error, unavailable):
    assert is_database_unavailable(error) is unavailable
    assert is_database_unavailable(_wrapped(error)) is unavailable


def test_pool_timeouts_and_invalidated_connections_count_as_unavailable():
    assert is_database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    invalidated = _wrapped(psycopg.errors.UndefinedTable("x"), connection_invalidated=True)
    assert is_database_unavailable(invalidated)
    assert not is_database_unavailable(RuntimeError("boom"))
    assert not is_database_unavailable(ConnectionRefusedError("a vendor, not the database"))
