"""Every error leaves in the contract's envelope, with a request id, whatever raised it."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from pitchlab.app import create_app


class _Echo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int


# Routes that exist only in this test app, to drive the error paths that no public endpoint of
# the foundation has yet (a JSON body, an unexpected crash).
_probe = APIRouter()


@_probe.post("/probe/echo")
async def _echo(body: _Echo) -> _Echo:
    return body


@_probe.get("/probe/crash")
async def _crash() -> None:
    raise RuntimeError("boom: secret-detail-that-must-not-leak")


@pytest.fixture(scope="module")
async def probe_client(settings):
    import httpx

    app = create_app(settings)
    app.include_router(_probe)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_a_404_envelope(client):
    assert_envelope(await client.get("/api/nothing-here"), 404, "not_found")


async def test_wrong_method_is_a_405_envelope_with_allow(client):
    response = await client.delete("/healthz")
    assert_envelope(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b'{"name": "x"}', b'{"name": "x", "count": "many"}',
     b'{"name": "x", "count": 1, "role": "super_admin"}', b""],
    ids=["malformed", "array", "missing-field", "wrong-type", "unknown-field", "empty"],
)
async def test_bad_bodies_are_422_envelopes_that_name_the_problem(probe_client, content):
    response = await probe_client.post(
        "/probe/echo", content=content, headers={"content-type": "application/json"}
    )
    body = assert_envelope(response, 422, "validation_error")
    problems = body["error"]["details"]["errors"]
    assert problems and all({"loc", "type", "message"} <= set(p) for p in problems)


async def test_validation_errors_never_echo_the_submitted_value(probe_client):
    response = await probe_client.post(
        "/probe/echo", json={"name": "x", "count": "hunter2-secret-password"}
    )
    assert "hunter2-secret-password" not in response.text


async def test_a_crash_is_a_500_envelope_without_internals(probe_client, caplog):
    response = await probe_client.get("/probe/crash")
    assert_envelope(response, 500, "internal_error")
    assert "boom" not in response.text
    # the log keeps the detail for the operator
    assert any(r.msg == "unhandled error" and r.exc_info for r in caplog.records)


async def test_a_valid_body_goes_through(probe_client):
    response = await probe_client.post("/probe/echo", json={"name": "x", "count": 2})
    assert response.status_code == 200
    assert response.json() == {"name": "x", "count": 2}


async def test_request_id_is_echoed_when_sane_and_made_up_otherwise(client):
    echoed = await client.get("/healthz", headers={"X-Request-ID": "trace-abc.123"})
    assert echoed.headers["x-request-id"] == "trace-abc.123"
    fresh = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces" * 20})
    assert fresh.headers["x-request-id"] != "bad id\twith spaces" * 20
    assert len(fresh.headers["x-request-id"]) == 32
    assert (await client.get("/healthz")).headers["x-request-id"] != fresh.headers["x-request-id"]


async def test_openapi_describes_the_operations_endpoints(client):
    spec = (await client.get("/openapi.json")).json()
    assert {"/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    assert "503" in spec["paths"]["/readyz"]["get"]["responses"]
