from __future__ import annotations

import dataclasses

import pytest

from pitchlab.deps import context_of, install_context
from pitchlab.providers.scheduling import CalendlyScheduler
from tests.fakes.calendly_server import FakeCalendly
from tests.fakes.http_server import serve_asgi

SALES = "sales@pitchlab.example.com"
TOKEN = "calendly-test-token-only-the-server-knows"


@pytest.fixture
async def calendly(app):
    """The session's app booking with a local fake Calendly, and telling ``SALES``."""
    fake = FakeCalendly(api_token=TOKEN)
    original = context_of(app)
    async with serve_asgi(fake.app()) as base_url:
        scheduler = CalendlyScheduler(base_url=base_url, api_token=TOKEN,
                                      event_type=fake.event_type)
        install_context(app, dataclasses.replace(
            original,
            settings=original.settings.model_copy(update={"sales_email": SALES}),
            providers=dataclasses.replace(original.providers, scheduling=scheduler),
        ))
        try:
            yield fake
        finally:
            install_context(app, original)


@pytest.fixture
def offline_with_sales(app):
    """The session's app with no Calendly token (nothing booked), telling ``SALES``."""
    original = context_of(app)
    install_context(app, dataclasses.replace(
        original, settings=original.settings.model_copy(update={"sales_email": SALES})))
    yield
    install_context(app, original)
