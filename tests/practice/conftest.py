"""Fixtures of the practice tests."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def server_logs(caplog):
    """caplog, also fed by uvicorn's loggers (which do not propagate to the root logger), so
    that an exception escaping a stream handler ("Exception in ASGI application") is seen."""
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        uvicorn.removeHandler(caplog.handler)

