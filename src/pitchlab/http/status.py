"""The status of a response, as it passes through a middleware's send."""

from __future__ import annotations

from starlette.types import Message, Send


class ResponseStatus:
    """A send callable that remembers the status it passed on: 500 until a response starts (an
    exception before it is answered 500 further out)."""

    def __init__(self, send: Send) -> None:
        self.code = 500
        self._send = send

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.code = message["status"]
        await self._send(message)
