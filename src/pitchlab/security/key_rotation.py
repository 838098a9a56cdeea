"""``pitchlab keys rotate``: re-seal every stored API key under the key ring's current key."""

from __future__ import annotations

from sqlalchemy import select

from pitchlab.db import Database, system_context
from pitchlab.models import User
from pitchlab.security.vault import Vault


async def rotate_api_keys(database: Database, vault: Vault) -> int:
    """Return how many keys were re-encrypted. Safe to run again (already-current keys stay)."""
    rotated = 0
    async with database.transaction(system_context("key_rotation")) as session:
        users = await session.execute(
            select(User).where(User.api_keys.is_not(None)).with_for_update()
        )
        for user in users.scalars():
            sealed = dict(user.api_keys or {})
            for provider, blob in sealed.items():
                if not vault.is_current(blob):
                    sealed[provider] = vault.reseal(user.id, provider, blob)
                    rotated += 1
            user.api_keys = sealed
    return rotated
