from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest


@pytest.fixture
def redis_url() -> Iterator[str]:
    """PITCHLAB_TEST_REDIS_URL (CI: the machine's Redis), else a local server speaking the Redis
    protocol (fakeredis), so a newcomer needs no Redis. The tests key every counter by their
    run's own addresses and emails, so they leave other tests' counts alone."""
    configured = os.environ.get("PITCHLAB_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    from fakeredis import TcpFakeServer

    server = TcpFakeServer(("127.0.0.1", 0), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    server.shutdown()
    server.server_close()
