"""HTTP caching of the catalogue responses: Cache-Control, a strong ETag of the body, and 304 when
the client already has it."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from pitchlab.deps import context_of, install_context
from tests.auth.helpers import bearer
from tests.practice.helpers import rep


@pytest.mark.parametrize("path", ["/api/plans", "/api/billing/top-ups"])
async def test_a_repeated_public_request_with_the_etag_is_304(client, path):
    first = await client.get(path)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    assert etag == '"' + hashlib.sha256(first.content).hexdigest()[:32] + '"'  # strong, of the body

    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=300"
    assert "content-type" not in again.headers
    assert again.headers["x-request-id"]  # the outer middleware still answer

    # a weak form of the tag and a list of tags match too; another tag gets the body
    assert (await client.get(path, headers={"If-None-Match": f'"x", W/{etag}'})).status_code == 304
    stale = await client.get(path, headers={"If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200
    assert stale.content == first.content


async def test_the_scenarios_are_cached_by_the_callers_client_only(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    first = await client.get("/api/scenarios", headers=bearer(tokens))
    assert first.status_code == 200
    assert first.headers["cache-control"] == "private, max-age=0"  # a new scenario shows at once
    assert "authorization" in first.headers["vary"].lower()
    again = await client.get("/api/scenarios", headers={
        **bearer(tokens), "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


async def test_refusals_and_other_routes_are_not_cached(client):
    refused = await client.get("/api/scenarios")  # no token
    assert refused.status_code == 401
    assert "etag" not in refused.headers
    assert "cache-control" not in refused.headers or "max-age" not in refused.headers[
        "cache-control"]
    health = await client.get("/healthz")
    assert "etag" not in health.headers


async def test_the_etag_follows_the_body(client, app):
    """Another catalogue (a changed setting) is another body, so another ETag: a client holding
    the old one gets the new body, not a 304."""
    before = await client.get("/api/plans")
    original = context_of(app)
    fewer = original.settings.model_copy(update={"plans": original.settings.plans[:1]})
    install_context(app, dataclasses.replace(original, settings=fewer))
    try:
        after = await client.get("/api/plans", headers={"If-None-Match": before.headers["etag"]})
    finally:
        install_context(app, original)
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
