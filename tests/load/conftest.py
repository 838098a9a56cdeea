from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

from tests.conftest import create_scratch_database, drop_database


@pytest.fixture
def cluster_db(server_url: URL, owner_url: URL) -> Iterator[URL]:
    """An empty database of the test's own (``owner_url``'s setup has created the app role):
    the cluster's processes migrate it as they start, all at once, as replicas of a new
    deployment do; what they leave (queued jobs, rows) never reaches another test's database."""
    url = create_scratch_database(server_url, "pitchlab_scale")
    yield url
    drop_database(server_url, url)
