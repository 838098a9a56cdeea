"""Who is using the browser: the API's own access and refresh tokens, kept in HttpOnly cookies.

Signing in is ``auth.service.login``; every page checks the access token exactly as the API does
(``principal_from_token``: disabled users, logouts and password changes end it at once). An
expired access token is renewed from the refresh cookie (``auth.service.refresh``, rotation and
reuse detection included) in a transaction of its own, committed before the page runs, so a page
that fails afterwards cannot roll back a rotation whose new token the browser already holds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from pitchlab.auth import service as auth_service
from pitchlab.auth.dependencies import Principal, principal_from_token
from pitchlab.auth.errors import InvalidToken
from pitchlab.config import ResolvedSettings
from pitchlab.deps import AppDatabase, AppSettings
from pitchlab.kit.errors import Forbidden, Unauthorized
from pitchlab.models.values import Role
from pitchlab.web import cookies, csrf
from pitchlab.web.unit_of_work import DbSession


class LoginRequired(Exception):
    """No signed-in browser: the page sends it to the login page (and back afterwards)."""


def sign_in(request: Request, settings: ResolvedSettings, pair: auth_service.TokenPair) -> None:
    """The response to this request leaves the browser signed in."""
    cookies.set_later(request, cookies.ACCESS, pair.access_token, pair.expires_in)
    cookies.set_later(request, cookies.REFRESH, pair.refresh_token,
                      settings.refresh_token_days * 86_400)
    csrf.renew(request)


def sign_out(request: Request) -> None:
    cookies.clear_later(request, cookies.ACCESS)
    cookies.clear_later(request, cookies.REFRESH)
    csrf.renew(request)


async def _renewed(request: Request, database: AppDatabase, settings: ResolvedSettings) -> str:
    refresh_token = request.cookies.get(cookies.REFRESH)
    if not refresh_token:
        raise LoginRequired()
    try:
        async with database.transaction() as session:
            pair = await auth_service.refresh(session, database, settings, refresh_token)
    except InvalidToken:
        sign_out(request)
        raise LoginRequired() from None
    sign_in(request, settings, pair)
    return pair.access_token


async def browser_principal(
    request: Request, session: DbSession, database: AppDatabase, settings: AppSettings
) -> Principal:
    """The signed-in user of this browser, or ``LoginRequired``."""
    access_token = request.cookies.get(cookies.ACCESS)
    if access_token:
        try:
            return await principal_from_token(session, settings, access_token)
        except Unauthorized:
            pass  # expired, or ended by a logout elsewhere: the refresh token decides
    access_token = await _renewed(request, database, settings)
    try:
        return await principal_from_token(session, settings, access_token)
    except Unauthorized:
        sign_out(request)
        raise LoginRequired() from None


async def optional_principal(
    request: Request, session: DbSession, database: AppDatabase, settings: AppSettings
) -> Principal | None:
    """The signed-in user, or None (public pages show "Log in" or "Practice")."""
    if not (request.cookies.get(cookies.ACCESS) or request.cookies.get(cookies.REFRESH)):
        return None
    try:
        return await browser_principal(request, session, database, settings)
    except LoginRequired:
        return None


async def browser_admin(principal: Annotated[Principal, Depends(browser_principal)]) -> Principal:
    """A company admin or an operator (super admin)."""
    if principal.user.role not in (Role.ADMIN, Role.SUPER_ADMIN):
        raise Forbidden("Only your company's admins can open this page.")
    return principal


async def browser_operator(
    principal: Annotated[Principal, Depends(browser_principal)],
) -> Principal:
    if principal.user.role != Role.SUPER_ADMIN:
        raise Forbidden("Only Pitchlab's operators can open this page.")
    return principal


async def csrf_checked(request: Request, settings: AppSettings) -> None:
    """On every form post and htmx request: the page's CSRF token (``web.csrf``)."""
    await csrf.check(request, settings)


BrowserUser = Annotated[Principal, Depends(browser_principal)]
MaybeBrowserUser = Annotated[Principal | None, Depends(optional_principal)]
BrowserAdmin = Annotated[Principal, Depends(browser_admin)]
BrowserOperator = Annotated[Principal, Depends(browser_operator)]
CsrfChecked = Depends(csrf_checked)
