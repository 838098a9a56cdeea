from __future__ import annotations

import pytest

from tests.cli.helpers import clean_env
from tests.conftest import TEST_APP_PASSWORD


@pytest.fixture
def env(owner_url, tmp_path) -> dict[str, str]:
    """A command's environment: the test database, its app role password, a data dir of its own,
    nothing else of the machine's PITCHLAB_* settings."""
    return clean_env(
        PITCHLAB_DATABASE_URL=owner_url.render_as_string(hide_password=False),
        PITCHLAB_DATABASE_APP_PASSWORD=TEST_APP_PASSWORD,
        PITCHLAB_DATA_DIR=str(tmp_path / "data"),
    )
