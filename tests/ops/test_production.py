"""PITCHLAB_ENV=production: the refusals (a fresh ``pitchlab`` process, exit 2, the setting named,
no secret shown), HSTS on HTTPS requests, and forwarded headers believed from trusted proxies
only."""

from __future__ import annotations

import contextlib

import httpx
import psycopg
import pytest

from pitchlab.app import create_app
from pitchlab.config import Settings
from pitchlab.database_setup import libpq_dsn, prepare_database
from pitchlab.startup import StartupError
from tests.cli.helpers import assert_startup_error, clean_env, run_pitchlab
from tests.cli.test_served_address import serve, stop
from tests.conftest import TEST_APP_PASSWORD, TEST_ENCRYPTION_KEYS, make_settings

SECRET = "s3cret-pw-never-shown"
JWT = "a-jwt-secret-of-production-length-0123456789"
HSTS = "max-age=63072000; includeSubDomains"


@pytest.fixture
def production_env(owner_url, tmp_path) -> dict[str, str]:
    """A production environment that passes every check: the test database is local."""
    return clean_env(
        PITCHLAB_ENV="production",
        PITCHLAB_DATABASE_URL=owner_url.render_as_string(hide_password=False),
        PITCHLAB_DATABASE_APP_PASSWORD=TEST_APP_PASSWORD,
        PITCHLAB_JWT_SECRET=JWT,
        PITCHLAB_ENCRYPTION_KEYS=TEST_ENCRYPTION_KEYS,
        PITCHLAB_CORS_ORIGINS="https://app.example.com",
        PITCHLAB_DATA_DIR=str(tmp_path / "data"),
    )


def _without(env: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in env.items() if key != name}


@pytest.mark.parametrize("secret", ["PITCHLAB_JWT_SECRET", "PITCHLAB_ENCRYPTION_KEYS",
                                    "PITCHLAB_DATABASE_APP_PASSWORD"])
def test_a_generated_secret_is_refused(production_env, tmp_path, secret):
    run = run_pitchlab(["serve", "--port", "0"], _without(production_env, secret), tmp_path)
    assert_startup_error(run, secret, "generated")
    assert not (tmp_path / "data" / "secrets").exists()  # refused before generating any


def test_a_wildcard_cors_origin_is_refused(production_env, tmp_path):
    env = {**production_env, "PITCHLAB_CORS_ORIGINS": "https://app.example.com, *"}
    run = run_pitchlab(["serve", "--port", "0"], env, tmp_path)
    assert_startup_error(run, "PITCHLAB_CORS_ORIGINS", "wildcard")


@pytest.mark.parametrize("query", ["", "?sslmode=prefer", "?sslmode=disable"])
def test_a_remote_database_without_tls_is_refused(production_env, tmp_path, query):
    url = f"postgresql://pitchlab:{SECRET}@db.example.com:5432/pitchlab{query}"
    run = run_pitchlab(["serve", "--port", "0"],
                       {**production_env, "PITCHLAB_DATABASE_URL": url}, tmp_path)
    assert_startup_error(run, "PITCHLAB_DATABASE_URL", "db.example.com without TLS",
                         "sslmode=verify-full")
    assert SECRET not in run.stderr + run.stdout


def test_the_embedded_database_is_refused(production_env, tmp_path):
    run = run_pitchlab(["serve", "--port", "0"],
                       _without(production_env, "PITCHLAB_DATABASE_URL"), tmp_path)
    assert_startup_error(run, "PITCHLAB_DATABASE_URL", "embedded")
    assert not (tmp_path / "data" / "postgres").exists()


def test_a_remote_database_with_tls_passes_the_check(production_env, tmp_path):
    # It gets as far as connecting (and finds no such host): TLS was what production asked.
    url = f"postgresql://pitchlab:{SECRET}@db.invalid:5432/pitchlab?sslmode=verify-full"
    run = run_pitchlab(["db", "upgrade"], {**production_env, "PITCHLAB_DATABASE_URL": url},
                       tmp_path)
    assert run.returncode == 2, run.stderr
    assert "without TLS" not in run.stderr and "db.invalid" in run.stderr
    assert SECRET not in run.stderr + run.stdout


def test_a_complete_production_configuration_starts(production_env, tmp_path):
    run = run_pitchlab(["db", "upgrade"], production_env, tmp_path)  # a local server: no TLS
    assert run.returncode == 0, run.stderr
    assert "database is at head" in run.stdout


def test_app_startup_refuses_as_well(owner_url, tmp_path):
    settings = make_settings(owner_url, tmp_path, env="production", jwt_secret=None)
    with pytest.raises(StartupError) as refused:
        prepare_database(settings)
    assert refused.value.setting == "PITCHLAB_JWT_SECRET"


# --- HSTS and forwarded headers ----------------------------------------------------------------


@contextlib.asynccontextmanager
async def _client(owner_url, tmp_path, *, base_url="http://testserver", **overrides):
    """A client of an app with ``overrides``; the in-process transport's peer is 127.0.0.1."""
    app = create_app(make_settings(owner_url, tmp_path, **overrides))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client,
    ):
        yield client


async def test_hsts_on_https_requests_in_production(owner_url, tmp_path):
    async with _client(owner_url, tmp_path, base_url="https://testserver",
                       env="production") as client:
        assert (await client.get("/healthz")).headers["strict-transport-security"] == HSTS
    async with _client(owner_url, tmp_path, env="production") as client:
        assert "strict-transport-security" not in (await client.get("/healthz")).headers


async def test_no_hsts_in_development(owner_url, tmp_path):
    async with _client(owner_url, tmp_path, base_url="https://testserver") as client:
        assert "strict-transport-security" not in (await client.get("/healthz")).headers


async def test_hsts_behind_a_trusted_proxy_that_terminated_tls(owner_url, tmp_path):
    forwarded = {"X-Forwarded-Proto": "https"}
    async with _client(owner_url, tmp_path, env="production",
                       trusted_proxies=["127.0.0.0/8"]) as client:
        response = await client.get("/healthz", headers=forwarded)
        assert response.headers["strict-transport-security"] == HSTS
    async with _client(owner_url, tmp_path, env="production",
                       trusted_proxies=["10.0.0.1"]) as client:
        response = await client.get("/healthz", headers=forwarded)
        assert "strict-transport-security" not in response.headers


async def _failed_login_ip(client, owner_conn, forwarded_for: str) -> str:
    response = await client.post(
        "/api/auth/login", headers={"X-Forwarded-For": forwarded_for},
        json={"email": "nobody@example.com", "password": "not the password"},
    )
    assert response.status_code == 401, response.text
    row = await (await owner_conn.execute(
        "SELECT ip FROM audit_logs WHERE action = 'user.login_failed'"
        " ORDER BY created_at DESC LIMIT 1"
    )).fetchone()
    return row[0]


@pytest.mark.parametrize("trusted", [[], ["10.0.0.0/8"]])
async def test_forwarded_for_from_an_untrusted_peer_is_ignored(owner_url, owner_conn, tmp_path,
                                                               trusted):
    async with _client(owner_url, tmp_path, trusted_proxies=trusted) as client:
        assert await _failed_login_ip(client, owner_conn, "203.0.113.9") == "127.0.0.1"


async def test_forwarded_for_from_a_trusted_proxy_is_the_client(owner_url, owner_conn, tmp_path):
    async with _client(owner_url, tmp_path, trusted_proxies=["127.0.0.1"]) as client:
        # The client's own (spoofed) entry comes first; the proxy appends the real peer.
        ip = await _failed_login_ip(client, owner_conn, "198.51.100.7, 203.0.113.9")
    assert ip == "203.0.113.9"


@pytest.mark.parametrize(("given", "read"), [
    ("10.0.0.1/8, 192.168.1.7", ["10.0.0.0/8", "192.168.1.7"]),
    ("::1", ["::1"]),
    ("*, 10.0.0.1", ["*"]),
])
def test_trusted_proxies_are_read_as_uvicorn_matches_them(given, read):
    assert Settings(_env_file=None, trusted_proxies=given).trusted_proxies == read


def test_a_trusted_proxy_that_is_no_address_is_named(tmp_path):
    env = clean_env(PITCHLAB_TRUSTED_PROXIES="proxy.internal", PITCHLAB_DATA_DIR=str(tmp_path))
    run = run_pitchlab(["db", "upgrade"], env, tmp_path)
    assert_startup_error(run, "PITCHLAB_TRUSTED_PROXIES", "IP addresses and CIDRs")


def _failed_login_ips(owner_url) -> list[str]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute("SELECT ip FROM audit_logs WHERE action = 'user.login_failed'"
                            " ORDER BY created_at").fetchall()
    return [ip for (ip,) in rows]


def test_pitchlab_serve_believes_forwarded_headers_from_trusted_proxies_only(
    production_env, owner_url, tmp_path,
):
    """The real server: uvicorn's own forwarded-header handling (which trusts 127.0.0.1 by
    default) is off; the settings decide."""
    login = {"email": "nobody@example.com", "password": "not the password"}
    spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    for trusted, ip, hsts in (("", "127.0.0.1", False), ("127.0.0.1", "203.0.113.9", True)):
        process, port = serve({**production_env, "PITCHLAB_TRUSTED_PROXIES": trusted}, tmp_path)
        try:
            response = httpx.post(f"http://127.0.0.1:{port}/api/auth/login", json=login,
                                  headers=spoofed)
        finally:
            stop(process)
        assert response.status_code == 401
        assert ("strict-transport-security" in response.headers) is hsts
        assert _failed_login_ips(owner_url)[-1] == ip
