"""GET /api/admin/audit-logs. Served by admin rather than audit: auth writes the audit log, so
audit itself must not depend on auth's principal (the packages would form a cycle)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from pitchlab.audit import service
from pitchlab.audit.schemas import AuditLogList, AuditLogOut
from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import DbSession
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import Forbidden, InvalidCursor, Unauthorized
from pitchlab.models.values import AuditAction

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get(
    "/audit-logs",
    response_model=AuditLogList,
    summary="The audit log, newest first",
    description="Admins read their own company's entries (`company_id` is ignored for them); "
    "a super_admin reads every entry, those of no company included, and may filter by "
    "`company_id`. Filters: `action`, `actor_id`. Details never hold passwords, tokens or keys.",
    responses=error_responses(Unauthorized, Forbidden, InvalidCursor, 422),
)
async def list_audit_logs(
    principal: CurrentPrincipal, session: DbSession,
    company_id: UUID | None = None,
    action: AuditAction | None = None,
    actor_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> AuditLogList:
    rows, next_cursor = await service.page(
        session, principal.user, company_id=company_id, action=action, actor_id=actor_id,
        cursor=cursor, limit=limit,
    )
    return AuditLogList(items=[AuditLogOut.model_validate(row) for row in rows],
                        next_cursor=next_cursor)
