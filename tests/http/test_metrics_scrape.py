"""/metrics counts what an operator watches: open streams, minutes charged, feedback jobs,
webhook deliveries by outcome, and calls to each vendor (latency and errors), per app."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from pitchlab.app import create_app
from tests.auth.helpers import bearer
from tests.conftest import make_settings
from tests.practice.helpers import eventually, opened, rep, start
from tests.webhooks.helpers import LOG, RECORDED, SECRET, deliver, sign, stripe_event


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels (parsed as Prometheus would)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scrape: dict, name: str, **labels: str) -> float | None:
    return scrape.get((name, frozenset(labels.items())))


async def scrape(client) -> dict:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return samples(response.text)


def closed_port() -> int:
    """A local port nothing listens on: a vendor that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def working_app(owner_url, tmp_path):
    """An app of its own (fresh counters) with its job worker in-process, as `pitchlab serve`
    runs, Stripe's webhook secret set, and Stripe's API unreachable."""
    settings = make_settings(
        owner_url, tmp_path, run_worker_in_process=True,
        stripe_webhook_secret=SecretStr(SECRET), stripe_api_key=SecretStr("sk_test_down"),
        stripe_api_base=f"http://127.0.0.1:{closed_port()}", stripe_max_network_retries=0,
    )
    app = create_app(settings)
    LOG.reset()  # the test handler's record of the events it handled
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


async def test_a_scrape_shows_a_call_a_webhook_and_a_vendor_failure(working_app, owner_url):
    app, client = working_app
    tokens = await rep(client, app, owner_url)

    # A text call of one (charged) minute, whose feedback the in-process worker produces.
    sid = (await start(client, tokens, mode="text"))["id"]
    said = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                             json={"text": "Hi, what keeps you up at night about churn?"})
    assert said.status_code == 200, said.text
    assert (await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))).is_success

    # A webhook delivered twice (the second a duplicate) and one with a forged signature.
    body = stripe_event(RECORDED)
    assert (await deliver(client, body)).status_code == 200
    assert (await deliver(client, body)).json()["duplicate"] is True
    forged = await deliver(client, body, signature=sign(body, secret="whsec_not_stripes"))
    assert forged.status_code == 400

    # Stripe down: the billing portal cannot be opened.
    portal = await client.post("/api/billing/portal", headers=bearer(tokens))
    assert portal.status_code == 503, portal.text

    async def jobs_done() -> bool:
        seen = await scrape(client)
        return (value(seen, "pitchlab_feedback_jobs_total", outcome="succeeded") == 1
                and value(seen, "pitchlab_webhook_events_total",
                          source="stripe", outcome="processed") == 1)

    await eventually(jobs_done, within=30)
    seen = await scrape(client)
    assert value(seen, "pitchlab_minutes_charged_total") == 1
    assert value(seen, "pitchlab_jobs_queued_total", job="generate_feedback") == 1
    assert value(seen, "pitchlab_feedback_jobs_total", outcome="failed") == 0
    assert value(seen, "pitchlab_feedback_jobs_total", outcome="retried") == 0
    for outcome, count in [("received", 1), ("duplicate", 1), ("rejected_signature", 1),
                           ("processed", 1), ("failed", None)]:
        assert value(seen, "pitchlab_webhook_events_total",
                     source="stripe", outcome=outcome) == count, outcome
    assert value(seen, "pitchlab_provider_call_errors_total", provider="stripe") == 1
    assert value(seen, "pitchlab_provider_call_duration_seconds_count", provider="stripe") == 1
    for quiet in ("openai", "elevenlabs", "resend", "calendly"):  # present at 0, for alerts
        assert value(seen, "pitchlab_provider_call_errors_total", provider=quiet) == 0
    assert value(seen, "pitchlab_open_streams") == 0


async def test_two_apps_count_apart(working_app, client, owner_url):
    """The session's app and this test's own share no counter."""
    app, own_client = working_app
    before = value(await scrape(client), "pitchlab_minutes_charged_total")
    tokens = await rep(own_client, app, owner_url)
    await start(own_client, tokens, mode="text")
    assert value(await scrape(own_client), "pitchlab_minutes_charged_total") == 1
    assert value(await scrape(client), "pitchlab_minutes_charged_total") == before


async def test_open_streams_follow_the_live_streams(
    client, app, owner_url, live_server, public_url_is_live_server
):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice")
    async with opened(live_server, session) as ws:
        assert value(await scrape(client), "pitchlab_open_streams") == 1
        await ws.close()

    async def none_open() -> bool:
        return value(await scrape(client), "pitchlab_open_streams") == 0

    await eventually(none_open, within=10)
