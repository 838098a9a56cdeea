"""Public pages: landing (with the demo booking form), sign up, the verification notice and link,
log in, log out. Each form is validated by the API's own request model and handled by the API's
own service, so a page refuses exactly what the API refuses."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pitchlab.auth import service as auth_service
from pitchlab.auth.schemas import EmailIn, LoginIn, RegisterIn
from pitchlab.demo import service as demo_service
from pitchlab.demo.schemas import DemoBookingIn
from pitchlab.deps import AppDatabase, AppLimiter, AppProviders, AppSettings, ClientIp
from pitchlab.web import cookies
from pitchlab.web.pages import redirect, render, safe_next
from pitchlab.web.routing import WebRoute, form_errors
from pitchlab.web.session import CsrfChecked, MaybeBrowserUser, sign_in, sign_out
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)


async def form_values(request: Request, *names: str) -> dict[str, str]:
    """The named fields of a posted form, as typed (never the CSRF token or a password)."""
    form = await request.form()
    return {name: str(form.get(name) or "").strip() for name in names}


def decimal_or_text(typed: str) -> Any:
    """A typed number as a float; anything else as typed, for the API's model to refuse with
    its own message."""
    try:
        return float(typed)
    except ValueError:
        return typed


def _or_none(value: str) -> str | None:
    return value or None


# ----------------------------------------------------------------------------- landing, demo


@router.get("/")
async def landing(request: Request, principal: MaybeBrowserUser) -> Response:
    return render(request, "landing.html", {"form": {}, "booking": None}, principal=principal)


def demo_start_time(local: str, zone: str) -> Any:
    """A ``datetime-local`` value read in the prospect's zone, as the API's ISO 8601 with an
    offset; left as typed when either does not parse, for the model to refuse with its message."""
    try:
        return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).isoformat()
    except (ValueError, ZoneInfoNotFoundError):
        return local


@router.post("/demo", dependencies=[CsrfChecked])
async def book_demo(
    request: Request, database: AppDatabase, settings: AppSettings, providers: AppProviders,
    limiter: AppLimiter, ip: ClientIp, principal: MaybeBrowserUser,
) -> Response:
    values = await form_values(request, "name", "email", "company", "start_time", "timezone",
                               "notes")
    with form_errors("landing.html", {"form": values, "booking": None}, principal=principal):
        body = DemoBookingIn.model_validate({
            **values, "notes": _or_none(values["notes"]),
            "start_time": demo_start_time(values["start_time"], values["timezone"]),
        })
        await demo_service.count_attempt(limiter, ip=ip, email=str(body.email))
        booking = await demo_service.request_demo(database, settings, providers.scheduling, body)
    return render(request, "landing.html", {"form": {}, "booking": booking}, principal=principal)


# ----------------------------------------------------------------------------------- sign up


@router.get("/signup")
async def signup_page(
    request: Request, invite: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    return render(request, "signup.html", {"form": {"invite_token": invite or ""}})


@router.post("/signup", dependencies=[CsrfChecked])
async def signup(
    request: Request, session: DbSession, settings: AppSettings, limiter: AppLimiter,
    ip: ClientIp,
) -> Response:
    values = await form_values(request, "name", "email", "company_name", "invite_token")
    password = str((await request.form()).get("password") or "")
    with form_errors("signup.html", {"form": values}):
        body = RegisterIn.model_validate({
            "name": values["name"], "email": values["email"], "password": password,
            "company_name": None if values["invite_token"] else _or_none(values["company_name"]),
            "invite_token": _or_none(values["invite_token"]),
        })
        await auth_service.count_attempt(limiter, "register", ip=ip, email=str(body.email))
        await auth_service.register(session, settings, body, ip)
    return redirect(request, "/signup/sent")


@router.get("/signup/sent")
async def signup_sent(request: Request) -> Response:
    return render(request, "signup_sent.html", {"form": {}, "resent": False})


@router.post("/verify-email/resend", dependencies=[CsrfChecked])
async def resend_verification(
    request: Request, session: DbSession, settings: AppSettings, limiter: AppLimiter,
    ip: ClientIp,
) -> Response:
    values = await form_values(request, "email")
    with form_errors("signup_sent.html", {"form": values, "resent": False}):
        body = EmailIn.model_validate(values)
        await auth_service.count_attempt(limiter, "resend_verification", ip=ip,
                                         email=str(body.email))
        await auth_service.resend_verification(session, settings, str(body.email))
    return render(request, "signup_sent.html", {"form": {}, "resent": True})


@router.get("/verify-email")
async def verify_email(
    request: Request, session: DbSession, ip: ClientIp,
    token: Annotated[str, Query(min_length=10, max_length=200)],
) -> Response:
    """Where the emailed link's browser lands (``/api/auth/verify-email`` redirects it here)."""
    with form_errors("verified.html", {}):
        await auth_service.verify_email(session, token, ip)
    return render(request, "verified.html", {})


# ----------------------------------------------------------------------------- log in, out


@router.get("/login")
async def login_page(
    request: Request, principal: MaybeBrowserUser,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    if principal is not None:
        return redirect(request, safe_next(next))
    return render(request, "login.html", {"form": {}, "next": safe_next(next)})


@router.post("/login", dependencies=[CsrfChecked])
async def login(
    request: Request, session: DbSession, database: AppDatabase, settings: AppSettings,
    limiter: AppLimiter, ip: ClientIp,
) -> Response:
    values = await form_values(request, "email", "next")
    password = str((await request.form()).get("password") or "")
    target = safe_next(values["next"])
    with form_errors("login.html", {"form": {"email": values["email"]}, "next": target}):
        body = LoginIn.model_validate({"email": values["email"], "password": password})
        pair = await auth_service.login(session, database, settings, limiter, ip,
                                        str(body.email), body.password)
    sign_in(request, settings, pair)
    return redirect(request, target)


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request, session: DbSession) -> Response:
    refresh_token = request.cookies.get(cookies.REFRESH)
    if refresh_token:
        await auth_service.logout(session, refresh_token)  # every access token ends with it
    sign_out(request)
    return redirect(request, "/")
