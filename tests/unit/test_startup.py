"""The light startup helpers: the address links name, URL checks, the migration head read from the
files, and finding an embedded server another process runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pitchlab import database_probe
from pitchlab.database_setup import head_revision
from pitchlab.startup import StartupError, served_url


@pytest.mark.parametrize(("host", "port", "expected"), [
    ("127.0.0.1", 8799, "http://127.0.0.1:8799"),
    ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
    ("::", 9000, "http://localhost:9000"),
    ("::1", 9000, "http://[::1]:9000"),
    ("api.internal", 80, "http://api.internal:80"),
])
def test_links_name_the_address_served_with_wildcards_as_loopback(host, port, expected):
    assert served_url(host, port) == expected


def test_the_head_read_from_the_migration_files_is_alembics():
    assert database_probe.code_head() == head_revision()


@pytest.mark.parametrize("url", [
    "postgresql://u:p@db.example:5433/app", "postgresql+psycopg://u:p@db.example:5433/app",
    "postgres://u:p@db.example:5433/app",
])
def test_postgresql_urls_of_any_driver_become_libpq_uris(url):
    assert database_probe.configured_conninfo(url) == "postgresql://u:p@db.example:5433/app"


@pytest.mark.parametrize("url", ["", "db.example", "sqlite:///x.db", "postgresql://h:port/db",
                                 "postgresql://h/db?nonsense_option=1"])
def test_anything_else_is_not_a_url_and_the_value_is_never_echoed(url):
    with pytest.raises(StartupError) as raised:
        database_probe.configured_conninfo(url)
    assert raised.value.setting == "PITCHLAB_DATABASE_URL"
    assert "not a PostgreSQL URL" in str(raised.value)
    assert not url or url not in str(raised.value)


def _pid_file(data_dir, pid: int, status: str = "ready") -> None:
    pgdata = data_dir / "postgres"
    pgdata.mkdir(parents=True)
    lines = [str(pid), str(pgdata), "1700000000", "5432", str(pgdata), "", "  1 2", status]
    (pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")


def test_a_running_embedded_server_is_found_from_its_pid_file(tmp_path):
    _pid_file(tmp_path, os.getpid())
    conninfo = database_probe.running_embedded_conninfo(tmp_path)
    assert f"host={tmp_path / 'postgres'}" in conninfo
    assert "port=5432" in conninfo and "dbname=pitchlab" in conninfo


def test_a_stale_or_starting_server_is_not_attached_to(tmp_path):
    assert database_probe.running_embedded_conninfo(tmp_path) is None  # none at all
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    _pid_file(tmp_path / "stale", int(finished.stdout))
    assert database_probe.running_embedded_conninfo(tmp_path / "stale") is None
    _pid_file(tmp_path / "starting", os.getpid(), status="starting")
    assert database_probe.running_embedded_conninfo(tmp_path / "starting") is None


async def test_connections_to_the_served_socket_send_without_nagle_delay():
    """Each kept-alive response or WebSocket frame goes out at once, not after the client's
    delayed ACK (~40 ms): asyncio sets TCP_NODELAY on connections of a TCP-protocol socket."""
    import asyncio
    import socket

    from pitchlab.startup import bind_listening_socket

    listening = bind_listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = writer.get_extra_info("socket")
        accepted.set_result(served.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=listening)
    async with server:
        _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
        assert await asyncio.wait_for(accepted, 10) != 0
        writer.close()
