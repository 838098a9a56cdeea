"""No password, token or API key reaches a log line or a response that should not carry it."""

from __future__ import annotations

import logging
import traceback

from tests.auth.helpers import (
    PASSWORD,
    bearer,
    drain_jobs,
    latest_verification_token,
    register,
    unique_email,
)

API_KEY = "sk-live-ULTRA-SECRET-api-key-0042"
NEW_PASSWORD = "second secret passphrase"


def _log_text(records: list[logging.LogRecord], *, excluding: tuple[str, ...] = ()) -> str:
    parts = []
    for record in records:
        if record.name in excluding:
            continue
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(parts)


async def test_the_whole_flow_leaks_no_secret(client, app, owner_url, caplog):
    caplog.set_level(logging.DEBUG)
    # httpx here is the test's own client announcing the URLs it calls; the service's logging
    # setup keeps httpx at WARNING (see logging_setup).
    caplog.set_level(logging.WARNING, logger="httpx")
    responses = []
    email = unique_email()
    responses.append(await register(client, email))
    responses.append(await register(client, email))  # the "already registered" path too
    await drain_jobs(app)
    verification = latest_verification_token(owner_url, email)
    responses.append(await client.get("/api/auth/verify-email", params={"token": verification}))
    responses.append(
        await client.post("/api/auth/login", json={"email": email, "password": "wrong password"})
    )
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    tokens = login.json()
    responses.append(
        await client.put(
            "/api/users/me", headers=bearer(tokens), json={"api_keys": {"openai": API_KEY}}
        )
    )
    responses.append(
        await client.put(
            "/api/users/me",
            headers=bearer(tokens),
            json={"api_keys": {"openai": "bad key with spaces"}},
        )
    )
    responses.append(
        await client.put(
            "/api/users/me",
            headers=bearer(tokens),
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )
    )
    responses.append(await client.get("/api/users/me", headers=bearer(tokens)))
    responses.append(await client.get("/api/users/me/export", headers=bearer(tokens)))
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    responses.append(refreshed)  # refused: the password change ended that family
    responses.append(
        await client.post("/api/auth/login", json={"email": email, "password": "x" * 80})
    )
    responses.append(
        await client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    )

    secrets = [PASSWORD, NEW_PASSWORD, API_KEY, tokens["access_token"], tokens["refresh_token"]]
    logs = _log_text(caplog.records)
    for secret in secrets:
        assert secret not in logs
    # the verification token appears only where the offline mailbox shows it to the developer
    assert verification not in _log_text(caplog.records, excluding=("pitchlab.email.outbox",))
    for response in responses:
        for secret in [*secrets, verification]:
            assert secret not in response.text, (response.request.url, response.text)
