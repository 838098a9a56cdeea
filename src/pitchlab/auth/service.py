"""Registration, email verification, login and refresh-token rotation.

These run before anybody is authenticated, so each asks for a named system context: the lookups
cross companies by nature (an email is unique platform-wide).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.auth import repository as tokens_repo
from pitchlab.auth.schemas import RegisterIn
from pitchlab.companies import repository as companies
from pitchlab.config import Settings
from pitchlab.db import Database, system_context, use_context
from pitchlab.errors import AppError
from pitchlab.models import Invitation, User
from pitchlab.notifications import templates
from pitchlab.notifications.service import queue_email
from pitchlab.security import passwords
from pitchlab.security.tokens import hash_opaque_token, issue_access_token, new_opaque_token
from pitchlab.users import repository as users

log = logging.getLogger(__name__)

VERIFICATION_LIFETIME = timedelta(hours=24)


def _invalid_credentials() -> AppError:
    # One body for an unknown email and a wrong password.
    return AppError("invalid_credentials", "Email or password is wrong.", 401)


def _invalid_token() -> AppError:
    return AppError("invalid_token", "This token is not valid.", 401)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    # Checked against when the email is unknown, so that both answers take as long.
    return passwords.hash_password("not-a-real-password-at-all", rounds)


# --- registration --------------------------------------------------------------------------

async def register(session: AsyncSession, settings: Settings, body: RegisterIn) -> None:
    """Create the account, or quietly tell the existing owner. The caller cannot tell which."""
    await use_context(session, system_context("register"))
    email = str(body.email).lower()
    # Hash first, on every path: the expensive step must not reveal whether the email exists.
    hashed = await passwords.hash_password_async(body.password, settings.bcrypt_rounds)
    # A bad invitation is refused before the email is looked up, so that refusal cannot tell
    # a registered address from a new one.
    invitation = await _open_invitation(session, body, email) if body.invite_token else None
    existing = await users.find_by_email(session, email)
    if existing is None:
        try:
            async with session.begin_nested():
                await _create_account(session, settings, body, email, hashed, invitation)
            return
        except IntegrityError:
            log.info("a concurrent registration took this email first")
            existing = await users.find_by_email(session, email)
    if existing is not None:
        await queue_email(session, existing.email, templates.account_exists(settings.public_url, existing.name))


async def _create_account(
    session: AsyncSession, settings: Settings, body: RegisterIn, email: str, hashed: str,
    invitation: Invitation | None,
) -> None:
    if invitation is not None:
        await _join_by_invitation(session, invitation, body, email, hashed)
        return
    company = await companies.create_with_trial(
        session,
        body.company_name or "",
        trial_expires_at=_now() + timedelta(days=settings.trial_days),
        trial_minutes=settings.trial_minutes,
    )
    user = await users.add(
        session,
        User(email=email, hashed_password=hashed, name=body.name, role="admin",
             company_id=company.id),
    )
    await send_verification(session, settings, user)


async def _open_invitation(session: AsyncSession, body: RegisterIn, email: str) -> Invitation:
    invitation = await tokens_repo.find_open_invitation(
        session, hash_opaque_token(body.invite_token or "")
    )
    if invitation is None or invitation.email.lower() != email:
        raise AppError(
            "invalid_invite", "This invitation is not valid, has expired or was for another "
            "email address.", 400,
        )
    return invitation


async def _join_by_invitation(
    session: AsyncSession, invitation: Invitation, body: RegisterIn, email: str, hashed: str
) -> None:
    invitation.accepted_at = _now()
    # The invitee proved the address by receiving the invitation there.
    await users.add(
        session,
        User(email=email, hashed_password=hashed, name=body.name, role=invitation.role,
             company_id=invitation.company_id, email_verified_at=_now()),
    )


async def send_verification(session: AsyncSession, settings: Settings, user: User) -> None:
    await tokens_repo.retire_verification_tokens(session, user.id)
    token, token_hash = new_opaque_token()
    await tokens_repo.add_verification_token(session, user.id, token_hash, _now() + VERIFICATION_LIFETIME)
    await queue_email(session, user.email, templates.verify_email(settings.public_url, user.name, token))


async def verify_email(session: AsyncSession, token: str) -> None:
    await use_context(session, system_context("verify_email"))
    user_id = await tokens_repo.spend_verification_token(session, hash_opaque_token(token))
    user = await users.get(session, user_id) if user_id else None
    if user is None:
        raise AppError("invalid_token", "This link is not valid, was used already or has expired.", 400)
    if user.email_verified_at is None:
        user.email_verified_at = _now()


async def resend_verification(session: AsyncSession, settings: Settings, email: str) -> None:
    await use_context(session, system_context("resend_verification"))
    user = await users.find_by_email(session, email)
    if user is not None and user.email_verified_at is None and user.disabled_at is None:
        await send_verification(session, settings, user)


# --- login and tokens -----------------------------------------------------------------------

async def login(session: AsyncSession, settings: Settings, email: str, password: str) -> TokenPair:
    await use_context(session, system_context("login"))
    user = await users.find_by_email(session, email)
    if user is None:
        await passwords.verify_password_async(password, _dummy_hash(settings.bcrypt_rounds))
        raise _invalid_credentials()
    if not await passwords.verify_password_async(password, user.hashed_password):
        raise _invalid_credentials()
    # Past this point the caller knows the password, so saying why is no leak.
    _ensure_may_sign_in(user)
    if passwords.needs_rehash(user.hashed_password, settings.bcrypt_rounds):
        user.hashed_password = await passwords.hash_password_async(password, settings.bcrypt_rounds)
    return await _issue_tokens(session, settings, user, family_id=uuid.uuid4())


def _ensure_may_sign_in(user: User) -> None:
    if user.disabled_at is not None:
        raise AppError("account_disabled", "This account has been disabled.", 403)
    if user.email_verified_at is None:
        raise AppError(
            "email_not_verified", "Confirm your email address first; we can send the link again.",
            403,
        )


async def _issue_tokens(
    session: AsyncSession, settings: Settings, user: User, family_id: uuid.UUID
) -> TokenPair:
    lifetime = settings.access_token_minutes * 60
    access = issue_access_token(
        settings.jwt_secret.get_secret_value(), user_id=user.id, company_id=user.company_id,
        role=user.role, lifetime_seconds=lifetime,
    )
    refresh, refresh_hash = new_opaque_token()
    await tokens_repo.add_refresh_token(
        session, user_id=user.id, family_id=family_id, token_hash=refresh_hash,
        expires_at=_now() + timedelta(days=settings.refresh_token_days),
    )
    return TokenPair(access, refresh, lifetime)


async def refresh(
    session: AsyncSession, database: Database, settings: Settings, refresh_token: str
) -> TokenPair:
    await use_context(session, system_context("refresh"))
    row = await tokens_repo.find_refresh_token(session, hash_opaque_token(refresh_token))
    if row is None or row.revoked_at is not None or row.expires_at <= _now():
        raise _invalid_token()
    if row.used_at is not None or not await tokens_repo.spend_refresh_token(session, row.id):
        # A spent token came back: whoever holds the family, one copy was stolen. End it all.
        await _revoke_family_now(database, row.family_id)
        log.warning("refresh token reuse; family %s revoked", row.family_id)
        raise _invalid_token()
    user = await users.get(session, row.user_id)
    if user is None or user.disabled_at is not None or user.email_verified_at is None:
        raise _invalid_token()
    return await _issue_tokens(session, settings, user, family_id=row.family_id)


async def _revoke_family_now(database: Database, family_id: uuid.UUID) -> None:
    # Its own transaction: the request fails with 401 (and rolls back), the revocation stays.
    async with database.transaction(system_context("refresh_reuse")) as session:
        await tokens_repo.revoke_family(session, family_id)


async def logout(session: AsyncSession, refresh_token: str) -> None:
    await use_context(session, system_context("logout"))
    row = await tokens_repo.find_refresh_token(session, hash_opaque_token(refresh_token))
    if row is not None:
        await tokens_repo.revoke_family(session, row.family_id)
