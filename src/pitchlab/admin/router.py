"""The admin endpoints: a company's admins manage their own company's accounts; the platform's
operators (super_admin) any company's."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from pitchlab.admin import service
from pitchlab.admin.errors import AdminsOnly, CompanyNotFound
from pitchlab.admin.schemas import AdminUserList, AdminUserOut
from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import DbSession
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import InvalidCursor, Unauthorized
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
