"""A local stand-in for Sentry's ingestion: ``POST /api/<project>/envelope/``.

An envelope is newline-delimited: a header line, then per item a header line (its ``type``,
maybe its ``length``) and its payload; the body may be gzip-compressed. Events are kept parsed,
with their raw payload text (for "this secret appears nowhere" checks).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class FakeSentry:
    events: list[dict] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # every envelope, decompressed

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/api/{project}/envelope/", self._envelope, methods=["POST"]),
        ])

    def dsn(self, base_url: str, project: str = "42") -> str:
        host = base_url.removeprefix("http://")
        return f"http://public-key@{host}/{project}"

    async def _envelope(self, request: Request) -> JSONResponse:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.raw.append(body)
        for item_type, payload in _items(body):
            if item_type == "event":
                self.events.append(json.loads(payload))
        return JSONResponse({"id": "0" * 32})


def _items(body: bytes) -> list[tuple[str, bytes]]:
    """The envelope's (type, payload) pairs, honouring an item's ``length`` when given."""
    _header, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        item_header_line, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_header_line)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1:]
        items.append((item_header.get("type", ""), payload))
    return items
