"""One switch that makes any fake vendor misbehave, the way vendors fail in production.

``misbehaving(app)`` serves a fake's ASGI app on 127.0.0.1 behind a TCP proxy and yields a
``Switch``; ``await switch.set(fault)`` turns a fault on, ``await switch.set(None)`` recovers:

- ``"refuse"``: nothing listens on the port (the proxy's listening socket is closed), so a client
  gets "connection refused", as from a host whose service is down;
- ``"timeout"``: the connection is accepted and the request read, but no answer comes until the
  test is over (long after any client's timeout: give clients short timeouts in their settings);
- ``"500"``: an internal server error;
- ``"429"``: too many requests, with ``Retry-After``.

The error body carries every vendor's error fields at once (Stripe's and OpenAI's ``error``
object, Resend's ``statusCode``/``name``/``message``, Calendly's ``title``/``message``), so each
official SDK reads it as its vendor's error. WebSockets pass through untouched (only ``refuse``
reaches them): the vendors' HTTP calls are what fail here. The URL stays the same across faults
and recovery, so a client retrying later reaches the recovered vendor.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from tests.fakes.http_server import serve_asgi
from tests.fakes.tcp_proxy import ToggleableProxy

Fault = Literal["refuse", "timeout", "500", "429"]
FAULTS: tuple[Fault, ...] = ("refuse", "timeout", "500", "429")
RETRY_AFTER_SECONDS = 1


def _error_body(status: int) -> bytes:
    name = "rate_limit_exceeded" if status == 429 else "internal_server_error"
    message = "Too many requests." if status == 429 else "Something went wrong on our side."
    return json.dumps({
        "error": {"type": "rate_limit_error" if status == 429 else "api_error",
                  "code": name, "message": message, "param": None},
        "statusCode": status, "name": name, "message": message,
        "title": "Too Many Requests" if status == 429 else "Internal Server Error",
    }).encode()


@dataclass
class _Misbehaving:
    """ASGI middleware: answers HTTP requests with the current fault instead of the app."""

    app: object
    fault: Fault | None = None
    # HTTP requests that met a fault, and the app's answers: what the vendor saw
    faulted: int = 0
    served: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, scope, receive, send) -> None:
        fault = self.fault
        if scope["type"] != "http" or fault not in ("timeout", "500", "429"):
            if scope["type"] == "http":
                self.served += 1
            await self.app(scope, receive, send)  # type: ignore[operator]
            return
        self.faulted += 1
        if fault == "timeout":
            await self.released.wait()  # set when the test ends
            status = 503
        else:
            status = int(fault)
        headers = [(b"content-type", b"application/json")]
        if status == 429:
            headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": _error_body(status)})


@dataclass
class Switch:
    base_url: str
    _wrapper: _Misbehaving
    _proxy: ToggleableProxy

    @property
    def fault(self) -> Fault | None:
        return self._wrapper.fault

    @property
    def faulted(self) -> int:
        """HTTP requests answered with a fault (a refused connection never arrives: 0)."""
        return self._wrapper.faulted

    @property
    def served(self) -> int:
        """HTTP requests the fake itself answered."""
        return self._wrapper.served

    async def set(self, fault: Fault | None) -> None:
        """Turn ``fault`` on (None: behave again)."""
        if fault == "refuse" and self._proxy.running:
            await self._proxy.stop()
        if fault != "refuse" and not self._proxy.running:
            await self._proxy.start()  # on the same port as before
        self._wrapper.fault = fault


@contextlib.asynccontextmanager
async def misbehaving(app) -> AsyncIterator[Switch]:
    """Serve ``app`` behind a switch (see the module's text); behaving at first."""
    wrapper = _Misbehaving(app)
    async with serve_asgi(wrapper) as direct:
        port = int(direct.rsplit(":", 1)[1])
        proxy = ToggleableProxy(upstream_host="127.0.0.1", upstream_port=port)
        await proxy.start()
        try:
            yield Switch(f"http://127.0.0.1:{proxy.port}", wrapper, proxy)
        finally:
            wrapper.released.set()  # a request left hanging ends, so the server can stop
            if proxy.running:
                await proxy.stop()
