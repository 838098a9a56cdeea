"""The rules of the admin endpoints: who may see and change which company's accounts, minutes
and invitations. The rows belong to other domains (users, auth, companies, billing, practice);
this domain only decides the scope, then asks the owner through its service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.admin.errors import (
    AdminsOnly,
    CompanyAdminsOnly,
    CompanyNotFound,
    CompanyRequired,
    LastAdmin,
    OperatorsManagedElsewhere,
    OperatorsOnly,
    UserNotFound,
)
from pitchlab.admin.schemas import (
    AdminCompanyOut,
    CompanyExportOut,
    ExportedCompany,
    InvitationIn,
    QuotaIn,
    UserChange,
)
from pitchlab.audit import service as audit
from pitchlab.auth import service as auth
from pitchlab.auth.dependencies import Principal
from pitchlab.billing import service as billing
from pitchlab.companies import service as companies
from pitchlab.config import ResolvedSettings, Settings
from pitchlab.db import system_context, temporary_context
from pitchlab.kit import cursors
from pitchlab.models import Company, Invitation, User
from pitchlab.models.values import AuditAction, Role
from pitchlab.practice import service as practice
from pitchlab.users import service as users

# One request erases at most this many members one by one; a larger company's remaining members
# go by the company row's cascade (their mail and audit trail are then left for a sweep).
MAX_MEMBERS_ERASED = 10_000


def _created(row: User | Company) -> cursors.Position:
    """Accounts and companies are listed oldest first."""
    return row.created_at, row.id


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
        session, company_id=scope, role=role, after=cursors.decode_cursor(cursor), limit=limit + 1
    )
    return cursors.page(rows, limit, _created)


async def list_companies(
    session: AsyncSession, principal: Principal, *, cursor: str | None, limit: int
) -> tuple[list[AdminCompanyOut], str | None]:
    """Every company with its subscription, minutes and head count: for operators only."""
    if not principal.is_super_admin:
        raise OperatorsOnly
    rows, next_cursor = cursors.page(
        await companies.list_page(session, after=cursors.decode_cursor(cursor), limit=limit + 1),
        limit, _created,
    )
    ids = [row.id for row in rows]
    standing = await billing.standing_of(session, ids)
    heads = await users.member_counts(session, ids)
    items = [
        AdminCompanyOut(
            id=row.id, name=row.name, trial_expires_at=row.trial_expires_at,
            subscription_status=standing[row.id].subscription_status,
            plan_id=standing[row.id].plan_id, total_minutes=standing[row.id].total_minutes,
            used_minutes=standing[row.id].used_minutes, user_count=heads.get(row.id, 0),
        )
        for row in rows
    ]
    return items, next_cursor


async def invite(
    session: AsyncSession, settings: ResolvedSettings, principal: Principal, body: InvitationIn,
    ip: str | None = None,
) -> Invitation:
    company = await _company_to_act_on(session, principal, body.company_id)
    invitation = await auth.invite(
        session, settings, company_id=company.id, company_name=company.name,
        email=str(body.email), role=body.role, invited_by=principal.user.id,
    )
    # the role, not the address: an entry outlives the invitee's erasure
    await _audit(session, principal, AuditAction.INVITATION_CREATED, company.id,
                 target=("invitation", invitation.id), ip=ip, details={"role": body.role})
    return invitation


async def _audit(
    session: AsyncSession, principal: Principal, action: AuditAction, company_id: UUID | None,
    *, target: tuple[str, UUID], ip: str | None, details: Mapping[str, Any] | None = None,
) -> None:
    """One entry for an admin's (or operator's) action, in the action's transaction."""
    await audit.record(session, action, actor_id=principal.user.id, company_id=company_id,
                       target_type=target[0], target_id=target[1], ip=ip, details=details)


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


async def change_user(
    session: AsyncSession, settings: Settings, principal: Principal, user_id: UUID,
    change: UserChange, ip: str | None = None,
) -> tuple[User, UUID | None]:
    """Change an account's role or disabled state. Returns the account and the id of the live
    call that disabling it ended (the caller closes its stream), if any."""
    user = await _user_in_scope(session, principal, user_id)
    assert user.company_id is not None  # operators were refused above
    # The company's row serialises changes to its admins: two admins demoting each other at
    # once cannot both succeed and leave nobody.
    await companies.lock(session, user.company_id)
    if _takes_an_admin_away(user, change) and (
        await companies.count_active_admins(session, user.company_id) <= 1
    ):
        raise LastAdmin
    await _audit_change(session, principal, user, change, ip)
    await users.apply_admin_change(session, user, role=change.role, disabled=change.disabled)
    if not change.disabled:
        return user, None
    # Disabled: every token dies now (the access tokens' check also reads disabled_at), and a
    # call in progress is ended and billed for the time it ran.
    async with temporary_context(session, system_context("admin_disable_user")):
        await auth.end_all_sessions(session, user)
    ended_call = await practice.end_live_call_of(
        session, settings, user.id, reason=f"ended_by_{principal.user.role}"
    )
    return user, ended_call


async def _audit_change(
    session: AsyncSession, principal: Principal, user: User, change: UserChange, ip: str | None
) -> None:
    """An entry per change that changes something (a PATCH repeating the current state adds
    none)."""
    target = ("user", user.id)
    if change.role is not None and change.role != user.role:
        await _audit(session, principal, AuditAction.USER_ROLE_CHANGED, user.company_id,
                     target=target, ip=ip, details={"from": user.role, "to": change.role})
    if change.disabled is not None and change.disabled != (user.disabled_at is not None):
        action = AuditAction.USER_DISABLED if change.disabled else AuditAction.USER_ENABLED
        await _audit(session, principal, action, user.company_id, target=target, ip=ip)


async def _user_in_scope(session: AsyncSession, principal: Principal, user_id: UUID) -> User:
    require_staff(principal)
    user = await auth.get_user(session, user_id)
    if user is None or not (
        principal.is_super_admin or user.company_id == principal.user.company_id
    ):
        raise UserNotFound
    if user.role == Role.SUPER_ADMIN:
        raise OperatorsManagedElsewhere
    return user


async def delete_company(
    session: AsyncSession, settings: Settings, principal: Principal, company_id: UUID,
    ip: str | None = None,
) -> list[UUID]:
    """Erase a company and everything of it (operators only): each member is erased as
    ``DELETE /api/users/me`` erases one (their live call ended and billed, their mail, their
    audit trail made anonymous), and the company goes with its last member. Its Stripe customer
    is left to Stripe's own retention. Returns the live calls that were ended."""
    if not principal.is_super_admin:
        raise OperatorsOnly
    if await companies.lock(session, company_id) is None:
        raise CompanyNotFound
    members = await users.list_accounts(
        session, company_id=company_id, role=None, after=None, limit=MAX_MEMBERS_ERASED
    )
    ended = [call for member in members if (call := await users.erase_user(
        session, settings, member, erased_by=principal.user.id)) is not None]
    if len(members) == MAX_MEMBERS_ERASED or not members:
        await companies.erase(session, company_id)  # nobody (left) to take it with them
    await _audit(session, principal, AuditAction.COMPANY_DELETED, company_id,
                 target=("company", company_id), ip=ip, details={"members": len(members)})
    return ended


async def delete_user(
    session: AsyncSession, settings: Settings, principal: Principal, user_id: UUID
) -> UUID | None:
    """Erase an account of the company (an operator: of any company) as ``DELETE
    /api/users/me`` erases one's own. The company's last active admin is not deleted here (409):
    the company would be left with nobody to manage it. Returns the live call it ended, if any."""
    user = await _user_in_scope(session, principal, user_id)
    assert user.company_id is not None  # operators were refused above
    await companies.lock(session, user.company_id)  # as for demotions: one at a time
    if user.role == Role.ADMIN and user.disabled_at is None and (
        await companies.count_active_admins(session, user.company_id) <= 1
    ):
        raise LastAdmin
    return await users.erase_user(session, settings, user, erased_by=principal.user.id)


def _takes_an_admin_away(user: User, change: UserChange) -> bool:
    """Whether the change leaves one active admin fewer: an active admin demoted or disabled."""
    active_admin = user.role == Role.ADMIN and user.disabled_at is None
    return active_admin and (change.role == Role.USER or change.disabled is True)


async def set_quota(
    session: AsyncSession, principal: Principal, body: QuotaIn, ip: str | None = None
) -> billing.QuotaState:
    """An operator sets a company's total minutes; an admin (or an operator) caps one user."""
    details = {"total_minutes": body.total_minutes}
    if body.company_id is not None:
        if not principal.is_super_admin:
            require_staff(principal)
            raise OperatorsOnly
        company = await _company_to_act_on(session, principal, body.company_id)
        quota = await billing.set_company_total(session, company.id, body.total_minutes)
        await _audit(session, principal, AuditAction.QUOTA_CHANGED, company.id,
                     target=("company", company.id), ip=ip, details=details)
        return quota
    assert body.user_id is not None  # the schema wants exactly one of the two
    user = await _user_in_scope(session, principal, body.user_id)
    assert user.company_id is not None  # operators were refused above
    quota = await billing.set_user_cap(session, user.company_id, user.id, body.total_minutes)
    await _audit(session, principal, AuditAction.QUOTA_CHANGED, user.company_id,
                 target=("user", user.id), ip=ip, details=details)
    return quota






# --- the company's own settings ------------------------------------------------------------------


def _own_company(principal: Principal) -> UUID:
    if principal.user.role != Role.ADMIN or principal.user.company_id is None:
        raise CompanyAdminsOnly
    return principal.user.company_id


async def company_settings(
    session: AsyncSession, principal: Principal, changes: dict[str, object] | None = None,
    ip: str | None = None,
) -> Company:
    """The admin's company, after ``changes`` (retention_days, leaderboard_enabled), if any."""
    company = await companies.update_settings(session, _own_company(principal), changes or {})
    if company is None:
        raise CompanyNotFound  # erased meanwhile
    if changes:
        await _audit(session, principal, AuditAction.COMPANY_SETTINGS_CHANGED, company.id,
                     target=("company", company.id), ip=ip, details=changes)
    return company


async def export_company(
    session: AsyncSession, settings: Settings, principal: Principal, ip: str | None = None
) -> CompanyExportOut:
    """Everything the company's members have in Pitchlab, member by member, as each would get
    it from ``GET /api/users/me/export`` (GDPR: the controller's copy). Recorded once, as the
    admin's action."""
    company_id = _own_company(principal)
    company = await companies.get(session, company_id)
    if company is None:
        raise CompanyNotFound  # erased meanwhile
    members = await users.list_accounts(
        session, company_id=company_id, role=None, after=None, limit=MAX_MEMBERS_ERASED
    )
    exported = [await users.export_of(session, member) for member in members]
    await _audit(session, principal, AuditAction.COMPANY_DATA_EXPORTED, company_id,
                 target=("company", company_id), ip=ip, details={"members": len(members)})
    return CompanyExportOut(
        exported_at=datetime.now(UTC),
        company=ExportedCompany(
            id=company.id, name=company.name, created_at=company.created_at,
            trial_expires_at=company.trial_expires_at,
            retention_days=company.retention_days or settings.retention_days,
            leaderboard_enabled=company.leaderboard_enabled,
        ),
        users=exported,
    )
