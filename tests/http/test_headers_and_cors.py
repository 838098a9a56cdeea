"""Security headers everywhere; cross-origin access only for the configured origins."""

from __future__ import annotations

ALLOWED = "https://app.pitchlab.test"  # the test settings' PITCHLAB_CORS_ORIGINS


async def test_security_headers_on_success_and_error(client):
    for response in (await client.get("/healthz"), await client.get("/api/missing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_docs_page_gets_a_policy_that_lets_it_load(client):
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "script-src" in response.headers["content-security-policy"]


async def test_allowed_origin_gets_cors_headers(client):
    preflight = await client.options(
        "/healthz",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "Authorization"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED
    simple = await client.get("/healthz", headers={"Origin": ALLOWED})
    assert simple.headers["access-control-allow-origin"] == ALLOWED
    assert "X-Request-ID" in simple.headers["access-control-expose-headers"]


async def test_other_origins_get_nothing_and_a_refused_preflight_is_an_envelope(client):
    evil = "https://evil.example"
    simple = await client.get("/healthz", headers={"Origin": evil})
    assert "access-control-allow-origin" not in simple.headers
    preflight = await client.options(
        "/healthz", headers={"Origin": evil, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 400
    assert preflight.json()["error"]["code"] == "cors_rejected"
    assert "access-control-allow-origin" not in preflight.headers


async def test_metrics_count_requests_by_route_template(client):
    await client.get("/healthz")
    text = (await client.get("/metrics")).text
    assert 'pitchlab_http_requests_total{method="GET",route="/healthz",status="200"}' in text
