"""Run a small ASGI app as a real HTTP server on 127.0.0.1, inside the test's event loop.

The socket is bound and listening before the server task starts, so a client may connect at once
(the kernel queues the connection): nothing has to wait for "ready".
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import httpx
import uvicorn


@contextlib.asynccontextmanager
async def serve_asgi(app) -> AsyncIterator[str]:
    # IPPROTO_TCP named, not left 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say they are TCP, and with Nagle on, every response on a kept-alive connection waits out
    # the client's delayed ACK (40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def running(app) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A Pitchlab app with its lifespan run, behind a real server (for streams), and an
    in-process client for its HTTP API: ``(client, base_url)``."""
    async with (
        app.router.lifespan_context(app),
        serve_asgi(app) as base_url,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                          base_url="http://testserver") as client,
    ):
        yield client, base_url
