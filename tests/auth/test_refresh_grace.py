"""Parallel refreshes of one token (issue 8, item 9): within the reuse grace the spent token gets
the same successor; after it, reuse still revokes the whole family."""

from __future__ import annotations

import asyncio
import uuid

import psycopg

from pitchlab.database_setup import libpq_dsn
from pitchlab.security.tokens import open_successor, seal_successor
from tests.auth.helpers import bearer, shift_clock, signed_up


async def _refresh(client, token: str):
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def _me(client, tokens: dict) -> int:
    return (await client.get("/api/users/me", headers=bearer(tokens))).status_code


async def test_ten_parallel_refreshes_of_one_token_all_get_the_same_working_successor(
    client, app, owner_url
):
    tokens = await signed_up(client, app, owner_url)
    answers = await asyncio.gather(*(_refresh(client, tokens["refresh_token"]) for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    successors = {a.json()["refresh_token"] for a in answers}
    assert len(successors) == 1 and tokens["refresh_token"] not in successors
    for answer in answers:  # every tab's access token works
        assert await _me(client, answer.json()) == 200
    # the successor is live, the family intact: it refreshes as usual
    [successor] = successors
    onward = await _refresh(client, successor)
    assert onward.status_code == 200
    assert await _me(client, onward.json()) == 200
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        revoked = conn.execute(
            "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL"
        ).fetchone()[0]
        issued = conn.execute("SELECT count(*) FROM refresh_tokens").fetchone()[0]
    assert revoked == 0 and issued == 3  # login, one successor, its successor


async def test_a_spent_token_within_the_grace_gets_the_live_end_of_its_chain(
    client, app, owner_url, monkeypatch
):
    tokens = await signed_up(client, app, owner_url)
    second = (await _refresh(client, tokens["refresh_token"])).json()
    third = (await _refresh(client, second["refresh_token"])).json()
    shift_clock(monkeypatch, 9)  # a slow tab, still within the 10-second grace
    late = await _refresh(client, tokens["refresh_token"])
    assert late.status_code == 200
    # not the (already spent) successor, but the live token descended from it
    assert late.json()["refresh_token"] == third["refresh_token"]
    assert (await _refresh(client, third["refresh_token"])).status_code == 200


async def test_reuse_after_the_grace_revokes_the_family(client, app, owner_url, monkeypatch):
    tokens = await signed_up(client, app, owner_url)
    successor = (await _refresh(client, tokens["refresh_token"])).json()
    shift_clock(monkeypatch, 11)  # the default grace is 10 seconds
    reuse = await _refresh(client, tokens["refresh_token"])
    assert reuse.status_code == 401
    assert reuse.json()["error"]["code"] == "invalid_token"
    assert (await _refresh(client, successor["refresh_token"])).status_code == 401


async def test_a_logout_within_the_grace_is_final(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    successor = (await _refresh(client, tokens["refresh_token"])).json()
    await client.post("/api/auth/logout", json={"refresh_token": successor["refresh_token"]})
    assert (await _refresh(client, tokens["refresh_token"])).status_code == 401
    assert (await _refresh(client, successor["refresh_token"])).status_code == 401


async def test_no_sealed_successor_is_kept_in_the_clear(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    successor = (await _refresh(client, tokens["refresh_token"])).json()["refresh_token"]
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute(
            "SELECT id, token_hash, successor_sealed FROM refresh_tokens"
        ).fetchall()
    dump = repr(rows)
    assert successor not in dump and tokens["refresh_token"] not in dump
    [(row_id, _, sealed)] = [row for row in rows if row[2] is not None]
    # only the spent token opens it, and only on its own row
    assert open_successor(tokens["refresh_token"], sealed, row_id) == successor
    assert open_successor(successor, sealed, row_id) is None
    assert open_successor(tokens["refresh_token"], sealed, uuid.uuid4()) is None


def test_sealing_round_trips_and_is_fresh_each_time():
    row = uuid.uuid4()
    a, b = seal_successor("spent", "next", row), seal_successor("spent", "next", row)
    assert a != b  # a fresh nonce each time
    assert open_successor("spent", a, row) == open_successor("spent", b, row) == "next"
    assert open_successor("spent", "not base64 at all!", row) is None
