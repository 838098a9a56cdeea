"""Audit rules: write an entry in the caller's transaction, read a page of them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.audit import repository
from pitchlab.db import Database, system_context
from pitchlab.kit import cursors
from pitchlab.kit.errors import Forbidden
from pitchlab.models import AuditLog, User
from pitchlab.models.values import AuditAction, Role

# A detail named like a secret is refused outright: an entry records THAT a password or key
# changed, never what it became.
_SECRET_NAME = re.compile(r"password|token|secret|api_key|hash", re.IGNORECASE)


async def record(
    session: AsyncSession, action: AuditAction, *, actor_id: UUID | None = None,
    company_id: UUID | None = None, target_type: str | None = None,
    target_id: UUID | str | None = None, ip: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add one entry to ``session``'s transaction: it commits, or rolls back, with the action."""
    await repository.add(session, AuditLog(
        actor_id=actor_id, action=action, company_id=company_id, target_type=target_type,
        target_id=str(target_id) if target_id is not None else None, ip=ip,
        details=_checked(details or {}),
    ))


async def record_of_user(
    session: AsyncSession, action: AuditAction, user: User, *, ip: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """An action a user did to their own account (the actor is the target)."""
    await record(session, action, actor_id=user.id, company_id=user.company_id,
                 target_type="user", target_id=user.id, ip=ip, details=details)


async def record_apart(
    database: Database, action: AuditAction, *, ip: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """An entry for an action that was refused (a failed login): the request's own transaction
    rolls back with the refusal, so the entry is committed in its own."""
    async with database.transaction(system_context("audit_refusal")) as session:
        await record(session, action, ip=ip, details=details)


async def record_erasure(
    session: AsyncSession, user_id: UUID, company_id: UUID | None, *,
    erased_by: UUID | None = None,
) -> None:
    """Erasure (GDPR): the deletion is recorded, then every entry of the user (this one too)
    stays without their id or address: that a member of the company was erased, when, and by
    which admin (``erased_by``; None: by themselves)."""
    await record(session, AuditAction.USER_DELETED, actor_id=erased_by or user_id,
                 company_id=company_id, target_type="user", target_id=user_id)
    await repository.forget_user(session, user_id)


def _checked(details: Mapping[str, Any]) -> dict[str, Any]:
    for name in details:
        if _SECRET_NAME.search(name):
            raise ValueError(f"audit details must not carry secrets ({name!r})")
    return dict(details)


# --- reading --------------------------------------------------------------------------------

async def page(
    session: AsyncSession, reader: User, *, company_id: UUID | None, action: AuditAction | None,
    actor_id: UUID | None, cursor: str | None, limit: int,
) -> tuple[list[AuditLog], str | None]:
    """Newest first. An admin reads their own company's entries whatever ``company_id`` says
    (row-level security holds the same line underneath); a super_admin reads any."""
    if reader.role == Role.USER:
        raise Forbidden("Only admins read the audit log.")
    if reader.role != Role.SUPER_ADMIN:
        company_id = reader.company_id
    rows = list(await repository.page(
        session, company_id=company_id, action=action, actor_id=actor_id,
        after=cursors.decode_cursor(cursor), limit=limit + 1,
    ))
    return cursors.page(rows, limit, lambda row: (row.created_at, row.id))
