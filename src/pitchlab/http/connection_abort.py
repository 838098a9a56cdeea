"""Lets a WebSocket handler drop a connection whose client has stopped reading.

ASGI has no "abort". A close frame queues behind the data the client never reads, and the
server's close flushes its send buffer first, so a stalled connection would stay open for as long
as the client cares to hold it. The server's own ``send`` callable is a method of its connection
object (uvicorn's protocols), which holds the asyncio transport; this middleware, outermost,
records that transport's ``abort`` in the scope under ``ABORT_KEY``. Under a server that does not
look like that, nothing is recorded and ``abort_connection`` is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

ABORT_KEY = "pitchlab.abort_connection"


class ConnectionAbortMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            abort = getattr(transport, "abort", None)
            if callable(abort):
                scope[ABORT_KEY] = abort
        await self.app(scope, receive, send)


def abort_connection(websocket: WebSocket) -> bool:
    """Drop the connection now (a TCP reset), whatever is still unsent. False if we cannot."""
    abort: Callable[[], None] | None = websocket.scope.get(ABORT_KEY)
    if abort is None:
        return False
    abort()
    return True
