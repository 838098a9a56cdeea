"""Traces over OTLP/HTTP to a local receiver: a request's server span with its route template,
its database spans in the same trace, and the request's log line naming that trace."""

from __future__ import annotations

import httpx

from pitchlab.app import create_app
from pitchlab.config import Settings
from tests.auth.helpers import bearer
from tests.conftest import make_settings
from tests.fakes.otlp_server import otlp_receiver
from tests.practice.helpers import rep

SERVER, CLIENT = 2, 3  # the OTLP span kinds


async def test_a_request_is_traced_with_its_route_and_queries(owner_url, tmp_path, log_lines):
    async with otlp_receiver() as receiver:
        settings = make_settings(owner_url, tmp_path, otel_exporter_otlp_endpoint=receiver.url,
                                 otel_service_name="pitchlab-test")
        traced = create_app(settings)
        async with (
            traced.router.lifespan_context(traced),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=traced),
                              base_url="http://testserver") as client,
        ):
            tokens = await rep(client, traced, owner_url)
            me = await client.get("/api/users/me", headers=bearer(tokens))
            assert me.status_code == 200
        # The lifespan's end flushed the batch: no waiting on the exporter's schedule.
        line = next(x for x in log_lines.events("http.request")
                    if x["request_id"] == me.headers["x-request-id"])
        spans = await receiver.wait_for(
            lambda spans: any(s.trace_id == line["trace_id"] and s.kind == SERVER for s in spans)
        )

    in_trace = [span for span in spans if span.trace_id == line["trace_id"]]
    server = next(span for span in in_trace if span.kind == SERVER)
    assert server.attributes["http.route"] == "/api/users/me"
    assert server.name == "GET /api/users/me"
    assert server.service_name == "pitchlab-test"
    queries = [span for span in in_trace if span.kind == CLIENT]
    assert queries and all(span.attributes["db.system"] == "postgresql" for span in queries)
    assert any(span.attributes["db.statement"].startswith("SELECT") for span in queries)
    assert len(line["span_id"]) == 16 and len(line["trace_id"]) == 32


async def test_tracing_is_off_without_an_endpoint(owner_url, tmp_path, log_lines):
    settings: Settings = make_settings(owner_url, tmp_path)
    plain = create_app(settings)
    async with (
        plain.router.lifespan_context(plain),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=plain),
                          base_url="http://testserver") as client,
    ):
        await client.get("/api/plans")
    line = log_lines.events("http.request")[-1]
    assert "trace_id" not in line and "span_id" not in line
