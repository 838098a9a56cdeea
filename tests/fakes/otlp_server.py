"""A local OTLP/HTTP receiver: POST /v1/traces with a protobuf ExportTraceServiceRequest, the
spans kept for the test to look at."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.http_server import serve_asgi


@dataclass
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    kind: int
    service_name: str
    attributes: dict[str, Any]


@dataclass
class OtlpReceiver:
    url: str = ""
    spans: list[ReceivedSpan] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, condition, *, within: float = 10.0) -> list[ReceivedSpan]:
        """The spans once ``condition(spans)`` holds, woken by each export (no polling)."""
        async with asyncio.timeout(within):
            while not condition(self.spans):
                self._arrived.clear()
                await self._arrived.wait()
        return self.spans

    async def _export(self, request: Request) -> Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.body())
        for resource_spans in message.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(ReceivedSpan(
                        name=span.name, trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                        kind=span.kind, service_name=resource.get("service.name", ""),
                        attributes=_attributes(span.attributes),
                    ))
        self._arrived.set()
        return Response(ExportTraceServiceResponse().SerializeToString(),
                        media_type="application/x-protobuf")


def _attributes(pairs) -> dict[str, Any]:
    values = {}
    for pair in pairs:
        which = pair.value.WhichOneof("value")
        values[pair.key] = getattr(pair.value, which) if which else None
    return values


@contextlib.asynccontextmanager
async def otlp_receiver() -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    app = Starlette(routes=[Route("/v1/traces", receiver._export, methods=["POST"])])
    async with serve_asgi(app) as url:
        receiver.url = url
        yield receiver
