"""The uptime probe: what a rep does, end to end, against a running deployment.

Log in, start a text call, say one line, end it. Each step is timed; the first that fails stops
the probe with the step's name and the reason (the HTTP status and the error envelope's code, or
the network error), which is what a cron job or an uptime monitor shows. The password and the
tokens are never part of a result or a message.

A call that was started is always ended, even when the turn failed, so a failing probe does not
leave a live call to run up the probe account's minutes (each run is billed its first minute).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

PROBE_LINE = "Hi, this is the Pitchlab uptime probe. Do you have a minute?"


class ProbeFailed(Exception):
    """A step that did not answer as it should: ``"<step> failed: <reason>"``."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step} failed: {reason}")
        self.step = step
        self.reason = reason


@dataclass
class ProbeResult:
    """Milliseconds per step, in the order they ran."""

    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        steps = ", ".join(f"{step} {ms:.0f} ms" for step, ms in self.timings.items())
        return f"probe ok in {sum(self.timings.values()):.0f} ms: {steps}"


def run_probe(base_url: str, email: str, password: str, *, timeout: float = 10.0) -> ProbeResult:
    """Run every step against ``base_url``; raise ``ProbeFailed`` at the first that fails."""
    result = ProbeResult()
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout) as client:
        tokens = _step(result, "login", lambda: client.post(
            "/api/auth/login", json={"email": email, "password": password}), 200)
        if not isinstance(tokens.get("access_token"), str):
            raise ProbeFailed("login", "the answer has no access_token")
        client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        started = _step(result, "start", lambda: client.post(
            "/api/sessions/start", json={"mode": "text"}), 201)
        session = f"/api/sessions/{started['id']}"
        end = lambda: client.post(f"{session}/end")  # noqa: E731
        try:
            reply = _step(result, "turn", lambda: client.post(
                f"{session}/stream", json={"text": PROBE_LINE}), 200, json_body=False)
            if '"agent_response"' not in reply["text"]:
                raise ProbeFailed("turn", "the reply has no agent_response")
        except ProbeFailed:
            with contextlib.suppress(ProbeFailed):  # the turn's failure is the one to report
                _step(ProbeResult(), "end", end, 200)
            raise
        _step(result, "end", end, 200)
    return result


def _step(result: ProbeResult, step: str, send: Any, expected: int, *,
          json_body: bool = True) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        response: httpx.Response = send()
    except httpx.HTTPError as exc:
        # The exception's text names the URL at most, never a header or body.
        raise ProbeFailed(step, f"{type(exc).__name__}: {exc}") from None
    result.timings[step] = (time.perf_counter() - started) * 1000
    if response.status_code != expected:
        raise ProbeFailed(step, _error_of(response))
    if not json_body:
        return {"text": response.text}
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        raise ProbeFailed(step, f"{response.status_code} with a body that is not JSON") from None
    return body


def _error_of(response: httpx.Response) -> str:
    """``"401 invalid_credentials: <message>"`` from Pitchlab's error envelope, or the status
    alone when the body is something else (a proxy's error page)."""
    try:
        error = response.json()["error"]
        return f"{response.status_code} {error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.reason_phrase}".strip()
