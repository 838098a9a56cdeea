"""The app wired to a local fake Stripe (tests/fakes/stripe_server.py): the real SDK adapter
talks to it over HTTP, and its signed webhook deliveries go to ``POST /api/webhooks/stripe``."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from pitchlab.deps import context_of, install_context
from pitchlab.providers import build_billing_gateway

STRIPE_API_KEY = "sk_test_pitchlab_0nlyTheFakeKnows"
STRIPE_WEBHOOK_SECRET = "whsec_pitchlab_test_5ecret"
WEBHOOK_PATH = "/api/webhooks/stripe"


@pytest.fixture
async def fake_stripe(app, client) -> AsyncIterator[object]:
    """A fake Stripe for this test, the app's settings and billing gateway pointed at it, and
    its deliveries posted to the app through ``client``. Both are put back afterwards."""
    from tests.fakes.stripe_server import running_fake_stripe

    async with running_fake_stripe(STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET) as (fake, base_url):
        context = context_of(app)
        settings = context.settings.model_copy(update={
            "stripe_api_key": SecretStr(STRIPE_API_KEY),
            "stripe_webhook_secret": SecretStr(STRIPE_WEBHOOK_SECRET),
            "stripe_api_base": base_url,
            "stripe_max_network_retries": 0,  # a failure injected by a test is seen at once
        })
        original_gateway = context.providers.billing
        install_context(app, dataclasses.replace(context, settings=settings))
        # The worker's resources share this Providers object (drain_jobs reads it at each call).
        context.providers.billing = build_billing_gateway(settings)

        async def post_to_app(body: bytes, headers: dict[str, str]) -> int:
            response = await client.post(WEBHOOK_PATH, content=body, headers=headers)
            return response.status_code

        fake.sink = post_to_app
        try:
            yield fake
        finally:
            context.providers.billing = original_gateway
            install_context(app, context)
