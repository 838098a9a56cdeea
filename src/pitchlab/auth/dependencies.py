"""Who is calling: the bearer token, checked against the user as the database has it now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pitchlab.db import DbContext, system_context, tenant_context, use_context
from pitchlab.deps import AppSettings, DbSession
from pitchlab.errors import AppError
from pitchlab.models import User
from pitchlab.security.tokens import AccessClaims, InvalidToken, decode_access_token

_bearer = HTTPBearer(auto_error=False, description="The access token from /api/auth/login.")


@dataclass(frozen=True)
class Principal:
    user: User
    claims: AccessClaims

    @property
    def is_super_admin(self) -> bool:
        return self.user.role == "super_admin"


def _unauthorized() -> AppError:
    return AppError(
        "unauthorized", "Sign in first: the access token is missing, invalid or expired.", 401,
        headers={"WWW-Authenticate": "Bearer"},
    )


def context_for(claims: AccessClaims) -> DbContext:
    if claims.role == "super_admin":
        return system_context("super_admin")
    if claims.company_id is None:
        raise _unauthorized()
    return tenant_context(claims.company_id)


async def current_principal(
    session: DbSession,
    settings: AppSettings,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized()
    return await principal_from_token(session, settings, credentials.credentials)


async def principal_from_token(session, settings, token: str) -> Principal:
    """Check an access token and bind the session to its owner's context."""
    try:
        claims = decode_access_token(settings.jwt_secret.get_secret_value(), token)
    except InvalidToken:
        raise _unauthorized() from None
    await use_context(session, context_for(claims))
    user = await session.get(User, claims.user_id)
    if user is None or not token_still_valid(user, claims):
        raise _unauthorized()
    return Principal(user=user, claims=claims)


def token_still_valid(user: User, claims: AccessClaims) -> bool:
    """Whether a correctly signed access token still speaks for ``user``, as the database has
    it now: checked on every request (HTTP and WebSocket), so disabling, deleting or re-roling a
    user, logging out or changing the password ends its tokens at once."""
    return (
        user.disabled_at is None
        and user.role == claims.role
        and user.company_id == claims.company_id
        # Logout, "log out everywhere" and a password change bump the version.
        and user.token_version == claims.token_version
    )


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
