"""The rules of the admin endpoints: who may see and change which company's accounts. The rows
belong to other domains (users, companies); this domain only decides the scope and asks them."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.admin.errors import AdminsOnly, CompanyNotFound, CompanyRequired
from pitchlab.admin.schemas import InvitationIn
from pitchlab.auth import service as auth
from pitchlab.auth.dependencies import Principal
from pitchlab.companies import service as companies
from pitchlab.config import ResolvedSettings
from pitchlab.kit.errors import InvalidCursor
from pitchlab.models import Company, Invitation, User
from pitchlab.models.values import Role
from pitchlab.users import service as users


def require_staff(principal: Principal) -> None:
    """Admins and operators pass; a plain user is refused (403), whatever they asked for."""
    if principal.user.role not in (Role.ADMIN, Role.SUPER_ADMIN):
        raise AdminsOnly


async def company_in_scope(
    session: AsyncSession, principal: Principal, company_id: UUID | None
) -> UUID | None:
    """The company a request may act on: an operator any existing one (None: every company), an
    admin their own only. Another company's id is answered as an unknown one (404), so that an
    admin cannot learn which ids exist."""
    require_staff(principal)
    if principal.is_super_admin:
        if company_id is not None and await companies.get(session, company_id) is None:
            raise CompanyNotFound
        return company_id
    if company_id not in (None, principal.user.company_id):
        raise CompanyNotFound
    return principal.user.company_id


async def list_users(
    session: AsyncSession, principal: Principal, *, company_id: UUID | None, role: Role | None,
    cursor: str | None, limit: int,
) -> tuple[list[User], str | None]:
    scope = await company_in_scope(session, principal, company_id)
    rows = await users.list_accounts(
        session, company_id=scope, role=role, after=_decode_cursor(cursor), limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, _encode_cursor(rows[-1]) if more else None


async def invite(
    session: AsyncSession, settings: ResolvedSettings, principal: Principal, body: InvitationIn
) -> Invitation:
    company = await _company_to_act_on(session, principal, body.company_id)
    return await auth.invite(
        session, settings, company_id=company.id, company_name=company.name,
        email=str(body.email), role=body.role, invited_by=principal.user.id,
    )


async def _company_to_act_on(
    session: AsyncSession, principal: Principal, company_id: UUID | None
) -> Company:
    """The one company a change is for: an admin's own, or the one an operator names."""
    if principal.is_super_admin and company_id is None:
        raise CompanyRequired
    scope = await company_in_scope(session, principal, company_id)
    company = await companies.get(session, scope) if scope is not None else None
    if company is None:
        raise CompanyNotFound
    return company


def _encode_cursor(user: User) -> str:
    raw = json.dumps([user.created_at.isoformat(), str(user.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    if not cursor:
        return None
    try:
        created, user_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(created, str) or not isinstance(user_id, str):
            raise ValueError("cursor fields are strings")
        return datetime.fromisoformat(created), UUID(user_id)
    except (ValueError, TypeError):
        raise InvalidCursor from None
