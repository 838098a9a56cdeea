"""Stripe down, four ways: the billing endpoints answer 503 ``billing_unavailable`` in the
envelope with Retry-After, nothing is half-created, and they work again once Stripe recovers;
Stripe's webhooks (Stripe calling us) and practice calls (start, end, billed minutes) go on
untouched. /metrics counts each failed call."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from pitchlab.deps import context_of
from pitchlab.providers import build_billing_gateway
from tests.auth.helpers import bearer, signed_up
from tests.billing.test_billing_http import company_of, stripe_customer_of
from tests.fakes.misbehave import FAULTS, misbehaving
from tests.fakes.stripe_server import FakeStripe
from tests.faults.conftest import assert_envelope, drain_counted, provider_errors, using
from tests.practice.helpers import quota_and_usage, start
from tests.webhooks.helpers import LOG, RECORDED, SECRET, deliver, stripe_event

API_KEY = "sk_test_faults_0nlyTheFakeKnows"
PORTAL = "/api/billing/portal"


@pytest.fixture
async def stripe_switch(app):
    fake = FakeStripe(api_key=API_KEY, webhook_secret=SECRET)
    async with misbehaving(fake.app()) as switch:
        fake.base_url = switch.base_url
        settings = {"stripe_api_key": SecretStr(API_KEY),
                    "stripe_webhook_secret": SecretStr(SECRET),
                    "stripe_api_base": switch.base_url, "stripe_timeout_seconds": 0.5,
                    "stripe_max_network_retries": 0}
        gateway = build_billing_gateway(context_of(app).settings.model_copy(update=settings))
        with using(app, billing=gateway, settings=settings):
            LOG.reset()
            yield fake, switch


@pytest.mark.parametrize("fault", FAULTS)
async def test_billing_says_unavailable_while_webhooks_and_calls_go_on(
    app, client, owner_url, stripe_switch, fault
):
    fake, switch = stripe_switch
    tokens = await signed_up(client, app, owner_url)
    before = await provider_errors(client, "stripe")
    await switch.set(fault)

    for path, body in ((PORTAL, None), ("/api/subscriptions/subscribe", {"plan_id": "starter"}),
                       ("/api/billing/top-ups", {"pack_id": "minutes-100"})):
        refused = await client.post(path, headers=bearer(tokens), json=body)
        assert_envelope(refused, 503, "billing_unavailable")
        assert refused.headers["retry-after"] == "30"
    assert stripe_customer_of(owner_url, company_of(owner_url, tokens["email"])) is None
    assert fake.customers == {}  # nothing half-created at Stripe either
    assert await provider_errors(client, "stripe") == before + 3  # one failed call each

    # Stripe calling us is another direction: its webhooks are taken and handled.
    event = stripe_event(RECORDED)
    delivered = await deliver(client, event)
    assert delivered.status_code == 200, delivered.text
    await drain_counted(app)
    assert len(LOG.handled) == 1

    # Practice needs no Stripe: a call starts, ends and is billed.
    sid = (await start(client, tokens, mode="text"))["id"]
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    assert ended.status_code == 200, ended.text
    assert ended.json()["minutes_billed"] == 1
    assert quota_and_usage(owner_url, tokens["email"])[1:] == (1, 1)

    await switch.set(None)
    portal = await client.post(PORTAL, headers=bearer(tokens))
    assert portal.status_code == 200, portal.text
    [session] = fake.portal_sessions.values()
    assert portal.json() == {"portal_url": session["url"]}
    assert len(fake.customers) == 1
