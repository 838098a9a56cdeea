"""SQL for the email outbox. (``pitchlab outbox`` reads it through ``mailbox.py``, which needs
neither the ORM nor the app.)"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import OutboxEmail


async def add(session: AsyncSession, message: OutboxEmail) -> OutboxEmail:
    session.add(message)
    await session.flush()
    return message


async def get(
    session: AsyncSession, outbox_id: UUID, *, for_update: bool = False
) -> OutboxEmail | None:
    return await session.get(OutboxEmail, outbox_id, with_for_update=for_update)


async def delete_to_address(session: AsyncSession, address: str) -> None:
    await session.execute(
        delete(OutboxEmail).where(func.lower(OutboxEmail.to_address) == address.lower())
    )
