"""schemathesis hooks for Pitchlab, loaded through `hooks` in schemathesis.toml (importable from
the repository root: the README's command runs there, the test puts it on PYTHONPATH)."""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from pitchlab.security.passwords import MAX_BYTES, MIN_LENGTH


def _storable_password(password: str) -> bool:
    return len(password.encode("utf-8")) <= MAX_BYTES and "\x00" not in password


# "format": "password" marks a new password (auth/schemas.py NewPassword). JSON Schema counts
# characters, so the description's "at most 72 bytes in UTF-8" (also "x-max-utf8-bytes") cannot
# be a keyword the generator reads: valid passwords are made here.
schemathesis.openapi.format(
    "password", st.text(min_size=MIN_LENGTH, max_size=MAX_BYTES).filter(_storable_password)
)
