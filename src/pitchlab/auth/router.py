"""Auth endpoints: register, verify, login, refresh, logout (public); log out everywhere."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from pitchlab.auth import service
from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.auth.errors import (
    AccountDisabled,
    InvalidCredentials,
    InvalidEmailLink,
    InvalidInvite,
    InvalidToken,
)
from pitchlab.auth.schemas import EmailIn, LoginIn, MessageOut, RefreshIn, RegisterIn, TokenOut
from pitchlab.deps import AppDatabase, AppLimiter, AppSettings, ClientIp, DbSession
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import EmailNotVerified, RateLimited, Unauthorized

router = APIRouter(prefix="/api/auth", tags=["auth"])

REGISTERED = (
    "If this address can be registered, we have sent an email to it. Follow the link inside."
)


def _token_out(pair: service.TokenPair) -> TokenOut:
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                    expires_in=pair.expires_in)


@router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageOut,
    summary="Create an account (new company, or by invitation)",
    description="The answer is the same whether or not the email is already registered; the "
    "existing owner gets a notice by email instead.",
    responses=error_responses(InvalidInvite, 422, RateLimited),
)
async def register(
    body: RegisterIn, session: DbSession, settings: AppSettings, limiter: AppLimiter,
    ip: ClientIp,
) -> MessageOut:
    await service.count_attempt(limiter, "register", ip=ip, email=str(body.email))
    await service.register(session, settings, body, ip)
    return MessageOut(message=REGISTERED)


@router.get(
    "/verify-email",
    response_model=MessageOut,
    summary="Confirm an email address with the emailed token",
    description="The emailed link comes here. A browser following it (it asks for HTML, not "
    "JSON) is sent on with 303 to the web app's `/verify-email` page, which confirms the "
    "address and says so on a page; nothing is confirmed by the redirect itself.",
    responses={**error_responses(InvalidEmailLink, 422), 303: {"description": "A browser: "
               "to the web app's page for this link"}},
)
async def verify_email(
    request: Request, session: DbSession, ip: ClientIp,
    token: str = Query(min_length=10, max_length=200),
) -> MessageOut | Response:
    if wants_html(request):
        return RedirectResponse("/verify-email?" + urlencode({"token": token}), status_code=303)
    await service.verify_email(session, token, ip)
    return MessageOut(message="Your email address is confirmed. You can sign in.")


def wants_html(request: Request) -> bool:
    """A browser navigating (Accept lists text/html before any JSON), not an API client."""
    accept = request.headers.get("accept", "")
    html_at, json_at = accept.find("text/html"), accept.find("application/json")
    return html_at != -1 and (json_at == -1 or html_at < json_at)


@router.post(
    "/resend-verification",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageOut,
    summary="Send the confirmation link again",
    responses=error_responses(422, RateLimited),
)
async def resend_verification(
    body: EmailIn, session: DbSession, settings: AppSettings, limiter: AppLimiter, ip: ClientIp
) -> MessageOut:
    await service.count_attempt(limiter, "resend_verification", ip=ip, email=str(body.email))
    await service.resend_verification(session, settings, str(body.email))
    return MessageOut(
        message="If this address has an unconfirmed account, a new link is on its way."
    )


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Exchange email and password for tokens",
    description="Only failed passwords are counted: 5 per 15 minutes for an email from one "
    "address, then longer waits (429 with Retry-After); a correct password resets them. Failures "
    "from other addresses never stop a correct password from an address that has not failed.",
    responses=error_responses(
        InvalidCredentials, AccountDisabled, EmailNotVerified, 422, RateLimited
    ),
)
async def login(
    body: LoginIn, session: DbSession, database: AppDatabase, settings: AppSettings,
    limiter: AppLimiter, ip: ClientIp,
) -> TokenOut:
    pair = await service.login(
        session, database, settings, limiter, ip, str(body.email), body.password
    )
    return _token_out(pair)


@router.post(
    "/refresh",
    response_model=TokenOut,
    summary="Rotate a refresh token",
    description="The presented token is spent. Presented again within "
    "`PITCHLAB_REFRESH_REUSE_GRACE_SECONDS` (10 s; parallel tabs, a retry), it gets the same "
    "successor; presented again later, it revokes its whole family, including the token issued "
    "from it.",
    responses=error_responses(InvalidToken, 422),
)
async def refresh(
    body: RefreshIn, session: DbSession, database: AppDatabase, settings: AppSettings
) -> TokenOut:
    return _token_out(await service.refresh(session, database, settings, body.refresh_token))


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke a refresh token's family",
    description="Also ends the user's access tokens issued until now (on every device; other "
    "devices get new ones from their refresh tokens). An unknown token is a 204 as well.",
    responses=error_responses(422),
)
async def logout(body: RefreshIn, session: DbSession) -> Response:
    await service.logout(session, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/logout-all",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Log out everywhere",
    description="Revokes every refresh-token family of the signed-in user and ends all their "
    "access tokens at once, this one included.",
    responses=error_responses(Unauthorized),
)
async def logout_all(principal: CurrentPrincipal, session: DbSession) -> Response:
    await service.logout_everywhere(session, principal.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
