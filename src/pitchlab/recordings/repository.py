"""The recordings and recording_usage tables."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import Recording


async def add(session: AsyncSession, row: Recording) -> Recording:
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def save(session: AsyncSession, row: Recording) -> Recording:
    await session.flush()
    await session.refresh(row)
    return row


async def get(session: AsyncSession, recording_id: UUID, *, user_id: UUID | None = None,
              for_update: bool = False) -> Recording | None:
    """The recording (the uploader's only, with ``user_id``); row-level security keeps it to
    the caller's company."""
    query = select(Recording).where(Recording.id == recording_id)
    if user_id is not None:
        query = query.where(Recording.user_id == user_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def page_of_user(session: AsyncSession, user_id: UUID,
                       after: tuple[datetime, UUID] | None, limit: int) -> list[Recording]:
    """The user's recordings, newest first, after the keyset ``after`` (created_at, id)."""
    query = select(Recording).where(Recording.user_id == user_id)
    if after is not None:
        query = query.where(tuple_(Recording.created_at, Recording.id) < tuple_(*after))
    query = query.order_by(Recording.created_at.desc(), Recording.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).scalars())


async def remove(session: AsyncSession, row: Recording) -> None:
    await session.delete(row)
    await session.flush()


async def used_seconds(session: AsyncSession, company_id: UUID, month: date) -> int:
    found = await session.execute(
        text("SELECT used_seconds FROM recording_usage WHERE company_id = :c AND month = :m"),
        {"c": company_id, "m": month})
    return int(found.scalar_one_or_none() or 0)


async def meter(session: AsyncSession, company_id: UUID, month: date, seconds: int,
                allowed_seconds: int) -> bool:
    """Add ``seconds`` to the company's month if the total stays within ``allowed_seconds``,
    in one statement: concurrent uploads queue on the row, and each sees the others' seconds,
    so together they never pass the allowance. False (nothing added) when it would."""
    charged = await session.execute(text("""
        INSERT INTO recording_usage AS u (company_id, month, used_seconds)
        SELECT :company, :month, :seconds WHERE :seconds <= :allowed
        ON CONFLICT (company_id, month) DO UPDATE
            SET used_seconds = u.used_seconds + excluded.used_seconds
            WHERE u.used_seconds + excluded.used_seconds <= :allowed
        RETURNING used_seconds
    """), {"company": company_id, "month": month, "seconds": seconds, "allowed": allowed_seconds})
    return charged.first() is not None


async def created_before(session: AsyncSession, company_id: UUID, cutoff: datetime,
                         limit: int) -> list[Recording]:
    """A batch of the company's recordings uploaded before ``cutoff`` (retention)."""
    rows = await session.execute(
        select(Recording).where(Recording.company_id == company_id,
                                Recording.created_at < cutoff)
        .order_by(Recording.created_at).limit(limit))
    return list(rows.scalars())


async def delete_rows(session: AsyncSession, ids: list[UUID]) -> None:
    await session.execute(delete(Recording).where(Recording.id.in_(ids)))
