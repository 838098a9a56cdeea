from __future__ import annotations

import dataclasses

import pytest
from pydantic import SecretStr

from pitchlab.deps import context_of, install_context

# The demo domain's fixtures, for the Calendly deliveries that update its bookings.
from tests.demo.conftest import calendly, offline_with_sales  # noqa: F401
from tests.webhooks.helpers import LOG, SECRET


def with_webhook_secret(app, secret: SecretStr | None):
    """Run the app with ``secret`` as PITCHLAB_STRIPE_WEBHOOK_SECRET; return the settings to put
    back with ``restore_settings``."""
    original = context_of(app).settings
    restore_settings(app, original.model_copy(update={"stripe_webhook_secret": secret}))
    return original


def restore_settings(app, settings) -> None:
    install_context(app, dataclasses.replace(context_of(app), settings=settings))


@pytest.fixture
def stripe_secret(app):
    """The session's app, with PITCHLAB_STRIPE_WEBHOOK_SECRET set, for this test."""
    original = with_webhook_secret(app, SecretStr(SECRET))
    yield SECRET
    restore_settings(app, original)


@pytest.fixture
def handlers():
    LOG.reset()
    yield LOG
    LOG.reset()
