"""The login throttle (issue 8, item 8): failures only, per (email, address) tightly and per email
loosely, reset on success, and never a 429 for a correct password from an address that has not
failed."""

from __future__ import annotations

import asyncio

from pitchlab.security.ratelimit import LOGIN
from tests.auth.helpers import PASSWORD, client_at, signed_up

WRONG = "not the password"
PAIR_LIMIT = LOGIN.per_pair[0].amount
EMAIL_LIMIT = LOGIN.per_email[0].amount


async def _login(client, email: str, password: str) -> int:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    if response.status_code == 429:
        assert response.json()["error"]["code"] == "rate_limited"
        assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    return response.status_code


async def test_signing_in_again_and_again_never_locks_anybody_out(client, app, owner_url):
    email = (await signed_up(client, app, owner_url))["email"]
    statuses = [await _login(client, email, PASSWORD) for _ in range(12)]
    assert statuses == [200] * 12


async def test_failures_from_elsewhere_never_stop_the_owner(client, app, owner_url):
    email = (await signed_up(client, app, owner_url))["email"]
    async with client_at(app, "203.0.113.7") as attacker:
        statuses = [await _login(attacker, email, WRONG) for _ in range(PAIR_LIMIT + 7)]
        assert statuses == [401] * PAIR_LIMIT + [429] * 7
        # from the address that failed, even the right password waits now
        assert await _login(attacker, email, PASSWORD) == 429
    async with client_at(app, "198.51.100.20") as owner:
        assert await _login(owner, email, PASSWORD) == 200


async def test_a_correct_password_resets_the_count(client, app, owner_url):
    email = (await signed_up(client, app, owner_url))["email"]
    for _ in range(3):  # 15 attempts, 12 of them wrong: never a 429
        assert [await _login(client, email, WRONG) for _ in range(PAIR_LIMIT - 1)] == [401] * 4
        assert await _login(client, email, PASSWORD) == 200


async def test_the_email_counter_slows_only_addresses_that_have_failed(client, app, owner_url):
    email = (await signed_up(client, app, owner_url))["email"]
    for index in range(EMAIL_LIMIT):  # a botnet: one failure from each of many addresses
        async with client_at(app, f"192.0.2.{index + 1}") as bot:
            assert await _login(bot, email, WRONG) == 401
    async with client_at(app, "192.0.2.1") as bot:
        # a second guess from an address that failed waits, right or wrong
        assert await _login(bot, email, PASSWORD) == 429
        assert await _login(bot, email, WRONG) == 429
    async with client_at(app, "198.51.100.20") as owner:
        assert await _login(owner, email, PASSWORD) == 200
    async with client_at(app, "192.0.2.1") as bot:
        # the owner's success reset the email's count
        assert await _login(bot, email, PASSWORD) == 200


async def test_a_burst_of_parallel_guesses_gets_no_more_answers_than_the_limit(
    client, app, owner_url
):
    email = (await signed_up(client, app, owner_url))["email"]
    async with client_at(app, "203.0.113.9") as attacker:
        statuses = await asyncio.gather(
            *(_login(attacker, email, WRONG) for _ in range(PAIR_LIMIT + 3)))
        assert sorted(statuses) == [401] * PAIR_LIMIT + [429] * 3
        assert await _login(attacker, email, PASSWORD) == 429


async def test_lookalikes_of_the_email_share_its_count(client, app, owner_url):
    email = (await signed_up(client, app, owner_url))["email"]
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c
                        for c in email.split("@")[0]) + "@" + email.split("@")[1]
    async with client_at(app, "203.0.113.10") as attacker:
        for variant in [email, email.upper(), fullwidth, email, fullwidth]:
            assert await _login(attacker, variant, WRONG) == 401
        assert await _login(attacker, email, WRONG) == 429
