from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL

from tests.conftest import create_scratch_database, drop_database


@pytest.fixture
def soak_db(server_url: URL, owner_url: URL) -> Iterator[URL]:
    """An empty database of the soak's own on the test server (``owner_url``'s setup has created
    the app role); the server under test migrates it as it starts. Dropped afterwards."""
    url = create_scratch_database(server_url, "pitchlab_soak")
    yield url
    drop_database(server_url, url)
