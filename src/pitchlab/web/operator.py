"""The platform operator's pages (super_admin): every company with its usage and subscription,
and setting a company's minutes; the same services as GET /api/admin/companies and
POST /api/admin/quotas."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pitchlab.admin import service
from pitchlab.admin.schemas import QuotaIn
from pitchlab.auth.dependencies import Principal
from pitchlab.deps import ClientIp
from pitchlab.web.admin import PAGE_SIZE, number_or_text
from pitchlab.web.pages import redirect, render
from pitchlab.web.public import form_values
from pitchlab.web.routing import WebRoute, form_errors
from pitchlab.web.session import BrowserOperator, CsrfChecked
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def _companies(session: DbSession, principal: Principal, cursor: str | None,
                     **extra: Any) -> dict[str, Any]:
    items, next_cursor = await service.list_companies(session, principal, cursor=cursor,
                                                      limit=PAGE_SIZE)
    return {"nav": "operator", "companies": items, "next_cursor": next_cursor,
            "cursor": cursor, "form": {}, **extra}


@router.get("/operator")
async def operator_home(request: Request, _principal: BrowserOperator) -> Response:
    return redirect(request, "/operator/companies")


@router.get("/operator/companies")
async def companies_page(
    request: Request, principal: BrowserOperator, session: DbSession,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    context = await _companies(session, principal, cursor)
    message = "The company's minutes are saved." if done == "quota" else None
    return render(request, "operator/companies.html", {**context, "message": message},
                  principal=principal)


@router.post("/operator/companies/{company_id}/quota", dependencies=[CsrfChecked])
async def set_company_quota(
    request: Request, company_id: UUID, principal: BrowserOperator, session: DbSession,
    ip: ClientIp,
) -> Response:
    values = await form_values(request, "total_minutes")
    context = await _companies(session, principal, None,
                               form={"quota_for": str(company_id), **values})
    with form_errors("operator/companies.html", context, principal=principal):
        body = QuotaIn.model_validate({"company_id": str(company_id),
                                       "total_minutes": number_or_text(values["total_minutes"])})
        await service.set_quota(session, principal, body, ip)
    return redirect(request, "/operator/companies?done=quota")
