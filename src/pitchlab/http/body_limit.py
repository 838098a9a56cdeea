"""Request body limit: a body over ``PITCHLAB_MAX_BODY_BYTES`` is refused with 413
``payload_too_large`` while it streams in, before anything buffers or parses it.

A declared ``Content-Length`` over the limit is refused before a byte of the body is read. A
chunked (or undeclared) body is counted as its ``http.request`` messages arrive, and refused as
soon as the count passes the limit. The server (uvicorn) hands the body over in pieces and stops
reading the socket while a piece waits unread, so what is never received is never buffered.

Whenever a response leaves before the request body was read to its end, it says
``Connection: close``: the server then closes the connection instead of reading (and throwing
away) the rest of an upload that nobody wants. A small declared body (up to 64 KiB) is read to
its end first instead, and the connection kept: closing on bytes still arriving resets it.

WebSocket messages are not HTTP bodies; the stream caps its own frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pitchlab.http.errors import error_response


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the body passes the limit. An HTTPException, because FastAPI
    turns any other error met while reading a body into a 400 "error parsing the body"."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the {limit} bytes allowed.")
        self.limit = limit


def payload_too_large(limit: int) -> JSONResponse:
    exc = BodyTooLarge(limit)
    return error_response(413, "payload_too_large", exc.detail, {"max_body_bytes": limit})


async def handle_body_too_large(_request: Request, exc: Exception) -> JSONResponse:
    """The app's handler for a limit met inside a route (FastAPI reading the body)."""
    assert isinstance(exc, BodyTooLarge)
    return payload_too_large(exc.limit)


class BodyLimitMiddleware:
    """``larger_limits`` maps exact paths (uploads) to their own limit."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, larger_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger_limits = dict(larger_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger_limits.get(scope["path"], self.max_body_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)  # nothing of the body is read
            return
        limited = _LimitedRequest(scope, receive, send, limit, declared)
        # A limit passed inside a route leaves through the app's own handler for BodyTooLarge.
        await self.app(scope, limited.receive, limited.send)


class _LimitedRequest:
    """One request's byte count, and whether some of its body is still to come."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int,
                 declared: int | None) -> None:
        self.limit = limit
        self._receive, self._send = receive, send
        self.received = 0
        self.body_pending = declared > 0 if declared is not None else _is_chunked(scope)
        # A body this small is cheaper to read to its end than the connection it would cost.
        self.drain_if_unread = declared is not None and declared <= DRAIN_LIMIT_BYTES

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLarge(self.limit)
            if not message.get("more_body", False):
                self.body_pending = False
        elif message["type"] == "http.disconnect":
            self.body_pending = False
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if self.body_pending and self.drain_if_unread:
                await self._drain()
            if self.body_pending:
                message["headers"] = _with_connection_close(message.get("headers", []))
        await self._send(message)

    async def _drain(self) -> None:
        """Read the rest of a small body the app never wanted (a 404 or 405 from routing), so
        the connection can stay open. Closing it with the body still arriving would make the
        kernel reset the connection, and the client could lose the response itself."""
        while self.body_pending:
            await self.receive()


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = payload_too_large(limit)
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before we see it
    return None


DRAIN_LIMIT_BYTES = 64 * 1024


def _is_chunked(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope.get("headers", ()))


def _with_connection_close(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"connection"]
    return [*kept, (b"connection", b"close")]
