"""HTTP caching for the responses that are the same for everyone for a while (the plans, the
top-up packs, the scenario library): ``Cache-Control``, a strong ``ETag`` and 304 on a matching
``If-None-Match``.

A route opts in with a dependency, ``dependencies=[cache_for(...)]``, which says how long and for
whom; ``HttpCachingMiddleware`` does the rest for its successful GETs: it hashes the body it is
about to send (so the ETag changes exactly when the body does, whatever changed it: a deploy, a
setting) and answers a client that has that body already with a 304 and no body.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Depends, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STATE_KEY = "cache_control"
# Headers a 304 keeps (RFC 9110 15.4.5): the body's own (length, type) are of a body not sent.
_KEPT_ON_304 = ("cache-control", "etag", "vary", "content-location", "expires", "date")


def cache_for(*, max_age: int, private: bool = False) -> Any:
    """The route's responses may be cached ``max_age`` seconds: by anyone (``public``: the same
    for every caller) or, for a route that needs a signed-in caller, only by the caller's own
    client (``private``, never a shared cache)."""
    scope_word = "private" if private else "public"
    value = f"{scope_word}, max-age={max_age}"

    async def mark(request: Request) -> None:  # async: no thread hop (pitchlab.deps)
        setattr(request.state, _STATE_KEY, value)

    return Depends(mark)


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` uses the weak comparison: ``W/"x"`` matches ``"x"``; ``*`` matches."""
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


class HttpCachingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer_cacheable(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] != 200 or _policy(scope) is None:
                    await send(message)  # not cacheable: streamed through as it is
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await _send_cached(scope, start, b"".join(chunks), send)

        await self.app(scope, receive, buffer_cacheable)


def _policy(scope: Scope) -> str | None:
    state = scope.get("state") or {}
    policy: str | None = state.get(_STATE_KEY)
    return policy


async def _send_cached(scope: Scope, start: Message, body: bytes, send: Send) -> None:
    policy = _policy(scope)
    assert policy is not None  # checked when the response started
    etag = strong_etag(body)
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["Cache-Control"] = policy
    headers["ETag"] = etag
    if policy.startswith("private"):
        headers.append("Vary", "Authorization")  # one caller's answer is not another's
    if etag_matches(Headers(scope=scope).get("if-none-match"), etag):
        kept = [(k, v) for k, v in headers.raw if k.decode("latin-1").lower() in _KEPT_ON_304]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body})
