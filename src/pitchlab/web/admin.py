"""A company's admin pages: team (invite, roles, disable, per-user caps), usage, the audit log
and billing. Each form goes through the same service as its /api/admin or billing endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from pitchlab.admin import service
from pitchlab.admin.schemas import AdminUserOut, InvitationIn, QuotaIn, UserChange
from pitchlab.audit import service as audit
from pitchlab.audit.schemas import AuditLogOut
from pitchlab.auth import service as auth
from pitchlab.auth.dependencies import Principal
from pitchlab.billing import purchases
from pitchlab.billing import service as billing
from pitchlab.billing.errors import BillingNotConfigured
from pitchlab.billing.schemas import PlanOut, SubscribeIn, TopUpIn, TopUpPackOut
from pitchlab.deps import (
    AppLimiter,
    AppProviders,
    AppSettings,
    ClientIp,
    LiveStreams,
)
from pitchlab.models.values import AuditAction
from pitchlab.web.pages import redirect, render
from pitchlab.web.public import form_values
from pitchlab.web.routing import WebRoute, form_errors
from pitchlab.web.session import BrowserAdmin, CsrfChecked
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 20
Cursor = Annotated[str | None, Query(max_length=200)]
DONE = {
    "invited": "The invitation is on its way.",
    "role": "The role is changed.",
    "disabled": "The account is disabled: its sessions have ended.",
    "enabled": "The account can sign in again.",
    "cap": "The minute cap is saved.",
    "plan": "Your plan is changed.",
}


def _done(done: str | None) -> str | None:
    return DONE.get(done or "")


def number_or_text(value: str) -> Any:
    """A typed whole number as an int; anything else as typed, for the model to refuse."""
    try:
        return int(value)
    except ValueError:
        return value


# ------------------------------------------------------------------------------------ team


@router.get("/admin")
async def admin_home(request: Request, _principal: BrowserAdmin) -> Response:
    return redirect(request, "/admin/team")


async def _team(session: DbSession, principal: Principal, cursor: str | None,
                **extra: Any) -> dict[str, Any]:
    rows, next_cursor = await service.list_users(
        session, principal, company_id=None, role=None, cursor=cursor, limit=PAGE_SIZE
    )
    members = [AdminUserOut.of(row) for row in rows]
    caps = (await billing.user_caps(session, principal.user.company_id, [m.id for m in members])
            if principal.user.company_id else {})
    return {"nav": "admin", "tab": "team", "members": members, "caps": caps,
            "next_cursor": next_cursor, "cursor": cursor, "form": {}, **extra}


@router.get("/admin/team")
async def team_page(
    request: Request, principal: BrowserAdmin, session: DbSession, cursor: Cursor = None,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    context = await _team(session, principal, cursor)
    return render(request, "admin/team.html", {**context, "message": _done(done)},
                  principal=principal)


@router.post("/admin/team/invite", dependencies=[CsrfChecked])
async def invite(
    request: Request, principal: BrowserAdmin, session: DbSession, settings: AppSettings,
    limiter: AppLimiter, ip: ClientIp,
) -> Response:
    values = await form_values(request, "email", "role")
    context = await _team(session, principal, None, form=values)
    with form_errors("admin/team.html", context, principal=principal):
        body = InvitationIn.model_validate(values)
        service.require_staff(principal)
        await auth.count_attempt(limiter, "invitation", ip=ip, email=str(body.email))
        await service.invite(session, settings, principal, body, ip)
    return redirect(request, "/admin/team?done=invited")


async def _change(
    request: Request, principal: Principal, session: DbSession, settings: AppSettings,
    live_streams: LiveStreams, ip: str, user_id: UUID, change: dict[str, Any], done: str,
) -> Response:
    context = await _team(session, principal, None)
    with form_errors("admin/team.html", context, principal=principal):
        body = UserChange.model_validate(change)
        _, ended_call = await service.change_user(session, settings, principal, user_id, body, ip)
    if ended_call is not None:
        live_streams.close(ended_call)
    return redirect(request, f"/admin/team?done={done}")


@router.post("/admin/team/{user_id}/role", dependencies=[CsrfChecked])
async def change_role(
    request: Request, user_id: UUID, principal: BrowserAdmin, session: DbSession,
    settings: AppSettings, live_streams: LiveStreams, ip: ClientIp,
) -> Response:
    values = await form_values(request, "role")
    return await _change(request, principal, session, settings, live_streams, ip, user_id,
                         {"role": values["role"]}, "role")


@router.post("/admin/team/{user_id}/access", dependencies=[CsrfChecked])
async def change_access(
    request: Request, user_id: UUID, principal: BrowserAdmin, session: DbSession,
    settings: AppSettings, live_streams: LiveStreams, ip: ClientIp,
) -> Response:
    values = await form_values(request, "disabled")
    disabled: Any = {"true": True, "false": False}.get(values["disabled"], values["disabled"])
    return await _change(request, principal, session, settings, live_streams, ip, user_id,
                         {"disabled": disabled}, "disabled" if disabled is True else "enabled")


@router.post("/admin/team/{user_id}/cap", dependencies=[CsrfChecked])
async def set_cap(
    request: Request, user_id: UUID, principal: BrowserAdmin, session: DbSession,
    ip: ClientIp,
) -> Response:
    values = await form_values(request, "total_minutes")
    context = await _team(session, principal, None, form={"cap_for": str(user_id), **values})
    with form_errors("admin/team.html", context, principal=principal):
        body = QuotaIn.model_validate({"user_id": str(user_id),
                                       "total_minutes": number_or_text(values["total_minutes"])})
        await service.set_quota(session, principal, body, ip)
    return redirect(request, "/admin/team?done=cap")


# ----------------------------------------------------------------------------------- usage


@router.get("/admin/usage")
async def usage_page(
    request: Request, principal: BrowserAdmin, session: DbSession, cursor: Cursor = None,
) -> Response:
    overview = await purchases.overview(session, principal.user)
    context = await _team(session, principal, cursor, tab="usage", overview=overview)
    since = overview.usage.period_start
    used: dict[UUID, int] = {}
    for member in context["members"]:
        rows = await billing.usage_of_user(session, member.id)
        used[member.id] = sum(r.minutes_used for r in rows
                              if since is None or r.created_at >= since)
    return render(request, "admin/usage.html", {**context, "used": used}, principal=principal)


# ----------------------------------------------------------------------------------- audit


@router.get("/admin/audit")
async def audit_page(
    request: Request, principal: BrowserAdmin, session: DbSession, cursor: Cursor = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    actor_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    filters = {"action": action or "", "actor_id": actor_id or ""}
    # The actors to choose from, and the names the entries' ids are shown with.
    members, _ = await service.list_users(session, principal, company_id=None, role=None,
                                          cursor=None, limit=100)
    context: dict[str, Any] = {
        "nav": "admin", "tab": "audit", "actions": [a.value for a in AuditAction],
        "form": filters, "entries": [], "next_cursor": None,
        "names": {str(m.id): m.name or m.email for m in members},
    }
    with form_errors("admin/audit.html", context, principal=principal):
        chosen = TypeAdapter(AuditAction | None).validate_python(action or None)
        actor = TypeAdapter(UUID | None).validate_python(actor_id or None)
        rows, next_cursor = await audit.page(
            session, principal.user, company_id=None, action=chosen, actor_id=actor,
            cursor=cursor, limit=PAGE_SIZE,
        )
    return render(request, "admin/audit.html", {
        **context, "entries": [AuditLogOut.model_validate(row) for row in rows],
        "next_cursor": next_cursor,
    }, principal=principal)


# --------------------------------------------------------------------------------- billing


async def _billing(session: DbSession, principal: Principal, settings: AppSettings,
                   providers: AppProviders) -> dict[str, Any]:
    found = await purchases.overview(session, principal.user)
    return {
        "nav": "admin", "tab": "billing", "overview": found,
        "plans": [PlanOut.of(plan) for plan in settings.plans],
        "packs": [TopUpPackOut.of(pack) for pack in settings.top_up_packs],
        "billing_configured": providers.billing.configured,
        "not_configured": BillingNotConfigured.default_message,
    }


def _billing_of(session: DbSession, settings: AppSettings,
                providers: AppProviders) -> purchases.Billing:
    return purchases.Billing(session, settings, providers.billing)


@router.get("/admin/billing")
async def billing_page(
    request: Request, principal: BrowserAdmin, session: DbSession, settings: AppSettings,
    providers: AppProviders, done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    context = await _billing(session, principal, settings, providers)
    return render(request, "admin/billing.html", {**context, "message": _done(done)},
                  principal=principal)


@router.post("/admin/billing/subscribe", dependencies=[CsrfChecked])
async def subscribe(
    request: Request, principal: BrowserAdmin, session: DbSession, settings: AppSettings,
    providers: AppProviders,
) -> Response:
    values = await form_values(request, "plan_id")
    context = await _billing(session, principal, settings, providers)
    with form_errors("admin/billing.html", context, principal=principal):
        body = SubscribeIn.model_validate(values)
        outcome = await purchases.subscribe(_billing_of(session, settings, providers),
                                            principal.user, body.plan_id)
    if isinstance(outcome, purchases.Checkout):
        return redirect(request, outcome.url)  # Stripe Checkout's page
    return redirect(request, "/admin/billing?done=plan")


@router.post("/admin/billing/top-ups", dependencies=[CsrfChecked])
async def buy_top_up(
    request: Request, principal: BrowserAdmin, session: DbSession, settings: AppSettings,
    providers: AppProviders,
) -> Response:
    values = await form_values(request, "pack_id")
    context = await _billing(session, principal, settings, providers)
    with form_errors("admin/billing.html", context, principal=principal):
        body = TopUpIn.model_validate(values)
        checkout = await purchases.buy_top_up(_billing_of(session, settings, providers),
                                              principal.user, body.pack_id)
    return redirect(request, checkout.url)


@router.post("/admin/billing/portal", dependencies=[CsrfChecked])
async def billing_portal(
    request: Request, principal: BrowserAdmin, session: DbSession, settings: AppSettings,
    providers: AppProviders,
) -> Response:
    context = await _billing(session, principal, settings, providers)
    with form_errors("admin/billing.html", context, principal=principal):
        url = await purchases.open_portal(_billing_of(session, settings, providers),
                                          principal.user, datetime.now().astimezone())
    return redirect(request, url)
