from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

from tests.conftest import create_scratch_database, drop_database


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


@pytest.fixture
def cluster_db(server_url: URL, owner_url: URL) -> Iterator[URL]:
    """An empty database of the test's own (``owner_url``'s setup has created the app role):
    the cluster's processes migrate it as they start, all at once, as replicas of a new
    deployment do; what they leave (queued jobs, rows) never reaches another test's database."""
    url = create_scratch_database(server_url, "pitchlab_scale")
    yield url
    drop_database(server_url, url)
