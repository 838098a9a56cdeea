from __future__ import annotations

import pytest
from pydantic import SecretStr

from tests.webhooks.helpers import LOG, SECRET


def with_webhook_secret(app, secret: SecretStr | None):
    original = app.state.settings
    app.state.settings = original.model_copy(update={"stripe_webhook_secret": secret})
    return original


@pytest.fixture
def stripe_secret(app):
    """The session's app, with PITCHLAB_STRIPE_WEBHOOK_SECRET set, for this test."""
    original = with_webhook_secret(app, SecretStr(SECRET))
    yield SECRET
    app.state.settings = original


@pytest.fixture
def handlers():
    LOG.reset()
    yield LOG
    LOG.reset()
