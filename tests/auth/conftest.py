"""Fixtures of the identity tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from pitchlab.app import create_app
from pitchlab.config import Settings
from tests.conftest import make_settings


@pytest.fixture
async def at_default_cost(owner_url, tmp_path) -> AsyncIterator[tuple[httpx.AsyncClient, object]]:
    """``(client, app)`` of an app whose bcrypt cost is the settings' default, as in production
    (the suite's own app hashes at bcrypt's floor, to stay fast)."""
    default = Settings.model_fields["bcrypt_rounds"].default
    app = create_app(make_settings(owner_url, tmp_path, bcrypt_rounds=default))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, app
