"""SQL for the audit log. Insert and read only: the app's role may do nothing else to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import AuditLog
from pitchlab.models.values import AuditAction


async def add(session: AsyncSession, entry: AuditLog) -> None:
    session.add(entry)
    await session.flush()


async def forget_user(session: AsyncSession, user_id: UUID) -> None:
    """Null the erased user's id and address in every entry (the owner-run SQL function)."""
    await session.execute(text("SELECT pitchlab_audit_forget_user(:user_id)"),
                          {"user_id": user_id})


async def page(
    session: AsyncSession, *, company_id: UUID | None, action: AuditAction | None,
    actor_id: UUID | None, after: tuple[datetime, UUID] | None, limit: int,
) -> Sequence[AuditLog]:
    """Newest first; ``after`` is the last (created_at, id) of the previous page."""
    query = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)
    if company_id is not None:
        query = query.where(AuditLog.company_id == company_id)
    if action is not None:
        query = query.where(AuditLog.action == action)
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if after is not None:
        query = query.where(tuple_(AuditLog.created_at, AuditLog.id) < tuple_(*after))
    return (await session.execute(query)).scalars().all()

