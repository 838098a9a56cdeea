"""Who is calling: the bearer token, checked against the user as the database has it now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.auth import repository
from pitchlab.config import ResolvedSettings
from pitchlab.db import DbContext, system_context, tenant_context, use_context
from pitchlab.deps import AppSettings, DbSession
from pitchlab.kit.errors import DomainError, Unauthorized
from pitchlab.models import User
from pitchlab.models.values import Role
from pitchlab.observability.context import bind_principal
from pitchlab.security.tokens import (
    AccessClaims,
    ExpiredToken,
    InvalidToken,
    decode_access_token,
)

_bearer = HTTPBearer(auto_error=False, description="The access token from /api/auth/login.")


@dataclass(frozen=True)
class Principal:
    user: User
    claims: AccessClaims

    @property
    def is_super_admin(self) -> bool:
        return self.user.role == Role.SUPER_ADMIN

    def company_id_or(self, refusal: type[DomainError]) -> UUID:
        """The caller's company, for data that belongs to one (scorecards, scenarios,
        assignments, analytics); a platform operator (super_admin) belongs to none, and is
        refused with the domain's ``refusal`` (a 403 saying so)."""
        if self.user.company_id is None or self.is_super_admin:
            raise refusal
        return self.user.company_id

    def admins_company_id_or(self, not_a_member: type[DomainError],
                             not_an_admin: type[DomainError]) -> UUID:
        """The caller's company, when the caller is its admin; refused otherwise."""
        company_id = self.company_id_or(not_a_member)
        if self.user.role != Role.ADMIN:
            raise not_an_admin
        return company_id


# Each says what to do next; the code is "unauthorized" for all (the contract's 401).
MISSING_TOKEN = (
    "Sign in first: send the access token from POST /api/auth/login as "
    "'Authorization: Bearer <access_token>'."
)
EXPIRED_TOKEN = (
    "The access token has expired: get a new one from POST /api/auth/refresh with your "
    "refresh token, then send this request again."
)
INVALID_TOKEN = (
    "The access token is not valid (malformed, or ended by a logout, a password change or a "
    "change to the account): get a new one from POST /api/auth/refresh, or sign in again with "
    "POST /api/auth/login."
)


def _unauthorized(message: str = INVALID_TOKEN, reason: str = "invalid") -> Unauthorized:
    # ``reason`` tells a client whether refreshing can help ("expired") or not.
    return Unauthorized(message, details={"reason": reason})


def missing_token() -> Unauthorized:
    return _unauthorized(MISSING_TOKEN, "missing")


def context_for(claims: AccessClaims) -> DbContext:
    if claims.role == Role.SUPER_ADMIN:
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
        raise missing_token()
    return await principal_from_token(session, settings, credentials.credentials)


async def principal_from_token(
    session: AsyncSession, settings: ResolvedSettings, token: str
) -> Principal:
    """Check an access token and bind the session to its owner's context. Raises
    ``Unauthorized`` (``details.reason``: "expired" or "invalid") when it does not hold."""
    try:
        claims = decode_access_token(settings.jwt_secret.get_secret_value(), token)
    except ExpiredToken:
        raise _unauthorized(EXPIRED_TOKEN, "expired") from None
    except InvalidToken:
        raise _unauthorized() from None
    await use_context(session, context_for(claims))
    user = await repository.get_user(session, claims.user_id)
    if user is None or not token_still_valid(user, claims):
        raise _unauthorized()
    bind_principal(user.id, user.company_id)  # every log line of the request names its caller
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
