"""The admin endpoints: a company's admins manage their own company's accounts; the platform's
operators (super_admin) any company's."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from pitchlab.admin import service
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
    AdminCompanyList,
    AdminUserList,
    AdminUserOut,
    CompanyExportOut,
    CompanySettingsChange,
    CompanySettingsOut,
    InvitationIn,
    InvitationOut,
    QuotaIn,
    QuotaOut,
    UserChange,
)
from pitchlab.auth import service as auth
from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.auth.errors import EmailTaken
from pitchlab.billing.errors import CapAboveCompanyTotal
from pitchlab.deps import AppLimiter, AppSettings, ClientIp, DbSession, LiveStreams
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import InvalidCursor, RateLimited, Unauthorized
from pitchlab.models import Company
from pitchlab.models.values import Role

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get(
    "/users",
    response_model=AdminUserList,
    summary="The company's accounts (operators: any company's)",
    description="An admin sees their own company's accounts only: another company's "
    "`company_id` is 404 `not_found`, as an unknown one is. An operator (super_admin) sees "
    "every account, or one company's with `company_id`. `role` filters. Oldest first; "
    "`cursor` is a page's `next_cursor`. Password hashes and API keys are never listed.",
    responses=error_responses(Unauthorized, AdminsOnly, CompanyNotFound, InvalidCursor, 422),
)
async def list_users(
    principal: CurrentPrincipal, session: DbSession,
    company_id: UUID | None = None,
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AdminUserList:
    rows, next_cursor = await service.list_users(
        session, principal, company_id=company_id, role=role, cursor=cursor, limit=limit
    )
    return AdminUserList(items=[AdminUserOut.of(u) for u in rows], next_cursor=next_cursor)


@router.post(
    "/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitationOut,
    summary="Invite somebody into the company",
    description="The invitee gets an email with an `invite_token` for POST /api/auth/register "
    "(valid 7 days, once). `role` is `admin` or `user` (never `super_admin`: 422). An operator "
    "must give `company_id` (422 `company_required`); an admin invites into their own company "
    "(another company's id is 404). An address that already has an account you can see is 409 "
    "`email_taken`. Rate-limited per caller address and per invitee (429).",
    responses=error_responses(Unauthorized, AdminsOnly, CompanyNotFound, EmailTaken,
                              CompanyRequired, 422, RateLimited),
)
async def invite(
    body: InvitationIn, principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    limiter: AppLimiter, ip: ClientIp,
) -> InvitationOut:
    service.require_staff(principal)  # a rep is refused before anything is counted
    await auth.count_attempt(limiter, "invitation", ip=ip, email=str(body.email))
    return InvitationOut.of(await service.invite(session, settings, principal, body, ip))


@router.patch(
    "/users/{user_id}",
    response_model=AdminUserOut,
    summary="Change an account's role, or disable it",
    description="An admin changes accounts of their own company only (another company's is "
    "404); an operator any company's. `role` is `admin` or `user` (never `super_admin`: 422). "
    "`disabled: true` ends the account's tokens and its live call at once. The company's last "
    "active admin cannot be demoted or disabled (409 `last_admin`). Operators' accounts are "
    "not changed here (403).",
    responses=error_responses(Unauthorized, AdminsOnly, OperatorsManagedElsewhere, UserNotFound,
                              LastAdmin, 422),
)
async def change_user(
    user_id: UUID, change: UserChange, principal: CurrentPrincipal, session: DbSession,
    settings: AppSettings, live_streams: LiveStreams, ip: ClientIp,
) -> AdminUserOut:
    user, ended_call = await service.change_user(
        session, settings, principal, user_id, change, ip
    )
    if ended_call is not None:
        live_streams.close(ended_call)
    return AdminUserOut.of(user)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase an account of the company (GDPR)",
    description="The account's personal data is erased as for `DELETE /api/users/me`: the "
    "account, its calls, transcripts, feedback, consents, tokens and mail; the company's usage "
    "rows stay without the person. An admin erases accounts of their own company only (another "
    "company's is 404); an operator any company's. The company's last active admin is not "
    "erased here (409 `last_admin`; they may erase themselves). A call in progress is ended "
    "and billed first.",
    responses=error_responses(Unauthorized, AdminsOnly, OperatorsManagedElsewhere, UserNotFound,
                              LastAdmin, 422),
)
async def delete_user(
    user_id: UUID, principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    live_streams: LiveStreams,
) -> Response:
    ended_call = await service.delete_user(session, settings, principal, user_id)
    if ended_call is not None:
        live_streams.close(ended_call)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/companies/{company_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a company and everything of it (operators)",
    description="Platform operators (super_admin) only. Every member is erased as for "
    "`DELETE /api/users/me` (live calls ended and billed first), then the company with its "
    "calls, usage, subscriptions and settings. Its Stripe customer is left to Stripe. An unknown "
    "company is 404.",
    responses=error_responses(Unauthorized, OperatorsOnly, CompanyNotFound, 422),
    openapi_extra={"x-roles": ["super_admin"]},
)
async def delete_company(
    company_id: UUID, principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    live_streams: LiveStreams, ip: ClientIp,
) -> Response:
    for ended_call in await service.delete_company(
        session, settings, principal, company_id, ip
    ):
        live_streams.close(ended_call)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/companies",
    response_model=AdminCompanyList,
    summary="Every company, with its subscription, minutes and head count (operators)",
    description="For platform operators (super_admin) only: a company admin is refused (403). "
    "Oldest first; `cursor` is a page's `next_cursor`. `subscription_status` and `plan_id` are "
    "the latest subscription's (null: never subscribed); the minutes are the company's "
    "current period's.",
    responses=error_responses(Unauthorized, OperatorsOnly, InvalidCursor, 422),
    # Who may call it, for clients and for tests/http/test_authorization_matrix.py.
    openapi_extra={"x-roles": ["super_admin"]},
)
async def list_companies(
    principal: CurrentPrincipal, session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AdminCompanyList:
    items, next_cursor = await service.list_companies(
        session, principal, cursor=cursor, limit=limit
    )
    return AdminCompanyList(items=items, next_cursor=next_cursor)


@router.post(
    "/quotas",
    response_model=QuotaOut,
    summary="Set a company's minutes (operators) or cap one user's (admins)",
    description="Exactly one of `company_id` or `user_id` (422 otherwise). `company_id`: an "
    "operator (super_admin) sets the company's total minutes for the current period (a "
    "company admin is refused, 403; the next paid period's grant sets it again). `user_id`: "
    "an admin caps a user of their own company (another company's is 404), never above the "
    "company's total (422 `cap_above_company_total`); a new cap counts minutes from now on.",
    responses=error_responses(Unauthorized, AdminsOnly, OperatorsOnly, CompanyNotFound,
                              UserNotFound, OperatorsManagedElsewhere, CapAboveCompanyTotal, 422),
)
async def set_quota(
    body: QuotaIn, principal: CurrentPrincipal, session: DbSession, ip: ClientIp
) -> QuotaOut:
    quota = await service.set_quota(session, principal, body, ip)
    return QuotaOut(company_id=quota.company_id, user_id=quota.user_id,
                    total_minutes=quota.total_minutes, used_minutes=quota.used_minutes)


def _settings_out(company: Company, settings: AppSettings) -> CompanySettingsOut:
    return CompanySettingsOut(
        id=company.id, name=company.name,
        retention_days=company.retention_days or settings.retention_days,
        retention_days_is_default=company.retention_days is None,
        leaderboard_enabled=company.leaderboard_enabled,
        trial_expires_at=company.trial_expires_at,
    )


@router.get(
    "/company", response_model=CompanySettingsOut,
    summary="The company's own settings (company admins)",
    responses=error_responses(Unauthorized, CompanyAdminsOnly),
    openapi_extra={"x-roles": ["admin"]},
)
async def get_company_settings(
    principal: CurrentPrincipal, session: DbSession, settings: AppSettings
) -> CompanySettingsOut:
    return _settings_out(await service.company_settings(session, principal), settings)


@router.patch(
    "/company", response_model=CompanySettingsOut,
    summary="Change the company's retention or leaderboard (company admins)",
    description="Fields left out stay as they are. A shorter retention deletes older "
    "transcripts and feedback at the next hourly purge; the calls' minutes stay.",
    responses=error_responses(Unauthorized, CompanyAdminsOnly, 422),
    openapi_extra={"x-roles": ["admin"]},
)
async def change_company_settings(
    body: CompanySettingsChange, principal: CurrentPrincipal, session: DbSession,
    settings: AppSettings, ip: ClientIp,
) -> CompanySettingsOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return _settings_out(
        await service.company_settings(session, principal, changes, ip), settings
    )


@router.get(
    "/export", response_model=CompanyExportOut,
    summary="Export every member's data (company admins, GDPR)",
    description="One JSON document: the company, and for each of its accounts what `GET "
    "/api/users/me/export` gives its owner (profile, calls, transcripts, feedback, usage, "
    "consents). Company admins only (reps and operators: 403). Recorded in the audit log as "
    "`company.data_exported`.",
    responses=error_responses(Unauthorized, CompanyAdminsOnly),
    openapi_extra={"x-roles": ["admin"]},
)
async def export_company(
    principal: CurrentPrincipal, session: DbSession, settings: AppSettings, ip: ClientIp,
    response: Response,
) -> CompanyExportOut:
    export = await service.export_company(session, settings, principal, ip)
    # a download: browsers save it rather than show it
    day = export.exported_at.date().isoformat()
    response.headers["Content-Disposition"] = (
        f'attachment; filename="pitchlab-export-{export.company.id}-{day}.json"'
    )
    return export
