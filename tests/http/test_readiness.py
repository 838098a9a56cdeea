"""/healthz answers while the process runs; /readyz follows the database, without a restart."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from pitchlab.app import create_app
from pitchlab.database_setup import head_revision, libpq_dsn
from tests.conftest import make_settings
from tests.fakes.tcp_proxy import through


@pytest.fixture
async def client_through_proxy(owner_url, proxy, tmp_path):
    proxied = through(owner_url, proxy)
    settings = make_settings(proxied, tmp_path, database_connect_timeout_seconds=2)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_healthz(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_ready_when_the_database_answers_at_head(client):
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "migrations": "at head"}


async def test_readyz_follows_the_database_down_and_back_up(client_through_proxy, proxy):
    assert (await client_through_proxy.get("/readyz")).status_code == 200

    await proxy.stop()
    down = await client_through_proxy.get("/readyz")
    assert down.status_code == 503
    assert down.json()["error"]["details"] == {"database": "unavailable"}
    assert (await client_through_proxy.get("/healthz")).status_code == 200

    await proxy.start()
    assert (await client_through_proxy.get("/readyz")).status_code == 200


async def test_not_ready_when_the_schema_is_not_at_head(client, owner_url):
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0000_older'")
        try:
            response = await client.get("/readyz")
        finally:
            conn.execute("UPDATE alembic_version SET version_num = %s", (head_revision(),))
    assert response.status_code == 503
    assert f"expected {head_revision()}" in response.json()["error"]["details"]["migrations"]
