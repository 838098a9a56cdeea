"""Starts that set the application role's password at the same moment (a server and its worker
started together, parallel test workers) all succeed: PostgreSQL refuses the second of two
concurrent ALTER ROLEs of one role ("tuple concurrently updated"), and the start does it again."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from psycopg import sql

from pitchlab.database_setup import create_app_role_if_missing, libpq_dsn, set_app_role_password

STARTS = 4
ROUNDS = 25  # of simultaneous starts: without the retry, some start fails in almost every run


@pytest.fixture
def role(server_url):
    name = f"pitchlab_t_{uuid.uuid4().hex[:10]}"
    create_app_role_if_missing(server_url, name, "first password")
    yield name
    with psycopg.connect(libpq_dsn(server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def test_simultaneous_starts_all_set_the_role_password(server_url, role):
    together = threading.Barrier(STARTS)

    def start(_: int) -> None:
        for _ in range(ROUNDS):
            together.wait()  # every start of a round sets the password at the same moment
            try:
                set_app_role_password(server_url, "the given password", role)
            except BaseException:
                together.abort()  # the other starts stop waiting for this one
                raise

    with ThreadPoolExecutor(STARTS) as pool:
        results = [pool.submit(start, index) for index in range(STARTS)]
    failures = [r.exception() for r in results if r.exception() is not None]
    refused = [f for f in failures if not isinstance(f, threading.BrokenBarrierError)]
    assert not failures, refused or failures
