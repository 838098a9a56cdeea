"""Identities: registration, email verification, login, refresh-token rotation, logout, and
platform operators.

These run before anybody is authenticated, so each asks for a named system context: the lookups
cross companies by nature (an email is unique platform-wide).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from pitchlab.audit import service as audit
from pitchlab.auth import repository
from pitchlab.auth.errors import (
    AccountDisabled,
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidEmailLink,
    InvalidInvite,
    InvalidToken,
    WeakPassword,
)
from pitchlab.auth.schemas import RegisterIn
from pitchlab.companies import service as companies
from pitchlab.config import ResolvedSettings, Settings
from pitchlab.db import Database, system_context, temporary_context, use_context
from pitchlab.kit.errors import EmailNotVerified, RateLimited
from pitchlab.models import Invitation, User
from pitchlab.models.values import AuditAction, Role
from pitchlab.notifications import templates
from pitchlab.notifications.service import queue_email
from pitchlab.security import passwords
from pitchlab.security.emails import canonical_email
from pitchlab.security.ratelimit import LimitExceeded, LoginThrottle, RateLimiter
from pitchlab.security.tokens import (
    hash_opaque_token,
    issue_access_token,
    new_opaque_token,
    open_successor,
    seal_successor,
)

log = logging.getLogger(__name__)

VERIFICATION_LIFETIME = timedelta(hours=24)
INVITATION_LIFETIME = timedelta(days=7)


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


# --- rate limits ---------------------------------------------------------------------------

@contextmanager
def _rate_limited() -> Iterator[None]:
    """A limit passed (security/ratelimit.py) is this domain's ``RateLimited``."""
    try:
        yield
    except LimitExceeded as exceeded:
        raise RateLimited(retry_after_seconds=exceeded.retry_after_seconds) from None


async def count_attempt(limiter: RateLimiter, action: str, *, ip: str, email: str) -> None:
    """Count one attempt at ``action`` (register, resend_verification) from ``ip`` for
    ``email``; ``RateLimited`` once either is over its limit."""
    with _rate_limited():
        await limiter.check(action, ip=ip, email=email)


# --- registration --------------------------------------------------------------------------

async def register(
    session: AsyncSession, settings: ResolvedSettings, body: RegisterIn, ip: str | None = None
) -> None:
    """Create the account, or quietly tell the existing owner. The caller cannot tell which."""
    await use_context(session, system_context("register"))
    email = str(body.email).lower()
    # Hash first, on every path: the expensive step must not reveal whether the email exists.
    hashed = await passwords.hash_password_async(body.password, settings.bcrypt_rounds)
    # A bad invitation is refused before the email is looked up, so that refusal cannot tell
    # a registered address from a new one.
    invitation = await _open_invitation(session, body, email) if body.invite_token else None
    existing = await repository.find_user_by_email(session, email)
    if existing is None:
        try:
            async with session.begin_nested():
                user = await _create_account(session, settings, body, email, hashed, invitation)
                await audit.record_of_user(session, AuditAction.USER_SIGNED_UP, user, ip=ip)
            return
        except IntegrityError:
            log.info("a concurrent registration took this email first")
            existing = await repository.find_user_by_email(session, email)
    if existing is not None:
        await queue_email(
            session, existing.email, templates.account_exists(settings.public_url, existing.name)
        )


async def _create_account(
    session: AsyncSession, settings: ResolvedSettings, body: RegisterIn, email: str, hashed: str,
    invitation: Invitation | None,
) -> User:
    if invitation is not None:
        return await _join_by_invitation(session, invitation, body, email, hashed)
    company = await companies.create_with_trial(session, settings, body.company_name or "")
    user = await repository.add_user(
        session,
        User(email=email, hashed_password=hashed, name=body.name, role=Role.ADMIN,
             company_id=company.id),
    )
    await send_verification(session, settings, user)
    return user


async def _open_invitation(session: AsyncSession, body: RegisterIn, email: str) -> Invitation:
    invitation = await repository.find_open_invitation(
        session, hash_opaque_token(body.invite_token or "")
    )
    if invitation is None or canonical_email(invitation.email) != canonical_email(email):
        raise InvalidInvite()
    return invitation


async def _join_by_invitation(
    session: AsyncSession, invitation: Invitation, body: RegisterIn, email: str, hashed: str
) -> User:
    invitation.accepted_at = _now()
    # The invitee proved the address by receiving the invitation there.
    return await repository.add_user(
        session,
        User(email=email, hashed_password=hashed, name=body.name, role=invitation.role,
             company_id=invitation.company_id, email_verified_at=_now()),
    )


async def send_verification(
    session: AsyncSession, settings: ResolvedSettings, user: User
) -> None:
    await repository.retire_verification_tokens(session, user.id)
    token, token_hash = new_opaque_token()
    await repository.add_verification_token(
        session, user.id, token_hash, _now() + VERIFICATION_LIFETIME
    )
    await queue_email(
        session, user.email, templates.verify_email(settings.public_url, user.name, token)
    )


async def verify_email(session: AsyncSession, token: str, ip: str | None = None) -> None:
    await use_context(session, system_context("verify_email"))
    user_id = await repository.spend_verification_token(session, hash_opaque_token(token))
    user = await repository.get_user(session, user_id) if user_id else None
    if user is None:
        raise InvalidEmailLink()
    if user.email_verified_at is None:
        user.email_verified_at = _now()
        await audit.record_of_user(session, AuditAction.USER_EMAIL_VERIFIED, user, ip=ip)


async def resend_verification(
    session: AsyncSession, settings: ResolvedSettings, email: str
) -> None:
    await use_context(session, system_context("resend_verification"))
    user = await repository.find_user_by_email(session, email)
    if user is not None and user.email_verified_at is None and user.disabled_at is None:
        await send_verification(session, settings, user)


# --- login and tokens -----------------------------------------------------------------------

async def login(
    session: AsyncSession, database: Database, settings: ResolvedSettings, limiter: RateLimiter,
    ip: str, email: str, password: str,
) -> TokenPair:
    """Check the password under the login throttle (security/ratelimit.py): only failures are
    counted, and a correct password resets the counters of its (email, address) pair."""
    await use_context(session, system_context("login"))
    throttle = LoginThrottle(limiter, email=email, ip=ip)
    with _rate_limited():
        await throttle.admit()
        user = await _user_with_password(session, settings, email, password)
        if user is None:
            await throttle.failed()
            # Who tried is not recorded: the email may be nobody's, or mistyped personal data.
            await audit.record_apart(database, AuditAction.USER_LOGIN_FAILED, ip=ip)
            raise InvalidCredentials()
        await throttle.succeeded()
    # Tokens are issued under the user's lock, as refresh does (lock_user_for_tokens): a password
    # change or "log out everywhere" that committed during the bcrypt check above has revoked
    # everything, and a password checked against the old hash must not open a new family.
    checked_hash = user.hashed_password
    user = await repository.lock_user_for_tokens(session, user.id)
    if user is None or user.hashed_password != checked_hash:
        raise InvalidCredentials()
    # Past this point the caller knows the password, so saying why is no leak.
    _ensure_may_sign_in(user, settings)
    if passwords.needs_rehash(user.hashed_password, settings.bcrypt_rounds):
        user.hashed_password = await passwords.hash_password_async(password, settings.bcrypt_rounds)
    await audit.record_of_user(session, AuditAction.USER_LOGGED_IN, user, ip=ip)
    return await _issue_tokens(session, settings, user, family_id=uuid.uuid4())


async def _user_with_password(
    session: AsyncSession, settings: Settings, email: str, password: str
) -> User | None:
    user = await repository.find_user_by_email(session, email)
    # The read is done: hand its connection back before the slow check, so that 20 logins at
    # once hold 20 hashes but not 20 of the pool's connections (past the pool's size each extra
    # one is opened, authenticated and closed on the event loop). Nothing was written; the next
    # query begins a new transaction in the same context, and ``login`` compares the hash again
    # under the user's lock.
    await session.commit()
    if user is None:
        # Made once per cost, off the loop too: the first unknown email must not stall it.
        dummy = await asyncio.to_thread(_dummy_hash, settings.bcrypt_rounds)
        await passwords.verify_password_async(password, dummy)
        return None
    if not await passwords.verify_password_async(password, user.hashed_password):
        return None
    return user


RESEND_VERIFICATION = "POST /api/auth/resend-verification"


def _ensure_may_sign_in(user: User, settings: Settings) -> None:
    if user.disabled_at is not None:
        raise AccountDisabled()
    if user.email_verified_at is None:
        raise _email_not_verified(settings)


def _email_not_verified(settings: Settings) -> EmailNotVerified:
    message = (
        "Confirm your email address first: follow the link we emailed you, or ask for a new "
        f"one with {RESEND_VERIFICATION} {{\"email\": ...}}."
    )
    if settings.resend_api_key is None:
        # No real email provider: the message sits in the local outbox, not in any mailbox.
        message += (
            " In development (no email provider configured) the link is in the local outbox: "
            "run `uv run pitchlab outbox --to <your email>`."
        )
    return EmailNotVerified(message, details={"resend_verification": RESEND_VERIFICATION})


def _access_token(settings: ResolvedSettings, user: User) -> str:
    return issue_access_token(
        settings.jwt_secret.get_secret_value(), user_id=user.id, company_id=user.company_id,
        role=user.role, lifetime_seconds=settings.access_token_minutes * 60,
        token_version=user.token_version,
    )


async def _issue_tokens(
    session: AsyncSession, settings: ResolvedSettings, user: User, family_id: uuid.UUID,
    refresh: tuple[str, str] | None = None,
) -> TokenPair:
    """A new access token and a new refresh token (``refresh``: one made earlier) in the family."""
    refresh_token, refresh_hash = refresh or new_opaque_token()
    await repository.add_refresh_token(
        session, user_id=user.id, family_id=family_id, token_hash=refresh_hash,
        expires_at=_now() + timedelta(days=settings.refresh_token_days),
    )
    return _pair(settings, user, refresh_token)


def _pair(settings: ResolvedSettings, user: User, refresh_token: str) -> TokenPair:
    return TokenPair(_access_token(settings, user), refresh_token,
                     settings.access_token_minutes * 60)


async def refresh(
    session: AsyncSession, database: Database, settings: ResolvedSettings, refresh_token: str
) -> TokenPair:
    """Rotate a refresh token. Presented again within ``refresh_reuse_grace_seconds`` of being
    spent (parallel tabs, a retried request), it gets the same successor; later, it is reuse and
    the whole family is revoked."""
    await use_context(session, system_context("refresh"))
    row = await repository.find_refresh_token(session, hash_opaque_token(refresh_token))
    if row is None or row.revoked_at is not None or row.expires_at <= _now():
        raise InvalidToken()
    user = await repository.lock_user_for_tokens(session, row.user_id)
    if user is None or user.disabled_at is not None or user.email_verified_at is None:
        raise InvalidToken()
    successor = new_opaque_token()
    sealed = seal_successor(refresh_token, successor[0], row.id)
    if row.used_at is None and await repository.spend_refresh_token(
        session, row.id, at=_now(), successor_sealed=sealed
    ):
        return await _issue_tokens(session, settings, user, row.family_id, refresh=successor)
    replayed = await _successor_within_grace(session, settings, row.id, refresh_token)
    if replayed is None:
        # A spent token came back late: whoever holds the family, one copy was stolen. End it all.
        await _revoke_family_now(database, row.family_id)
        log.warning("refresh token reuse; family %s revoked", row.family_id)
        raise InvalidToken()
    return _pair(settings, user, replayed)


# Links followed from a spent token to its live successor: within one grace, a chain of more
# than a few refreshes is no browser's doing.
_MAX_SUCCESSOR_LINKS = 5


async def _successor_within_grace(
    session: AsyncSession, settings: Settings, row_id: uuid.UUID, token: str
) -> str | None:
    """The live token descended from ``token``, if it was spent within the grace; else None.

    Usually that is its direct successor; if the winner of the race has already refreshed again,
    it is that token's successor in turn (each sealed under its predecessor), so a slow tab never
    gets a token that is spent already."""
    row = await repository.reload_refresh_token(session, row_id)
    if row is None or row.revoked_at is not None:
        raise InvalidToken()  # revoked meanwhile (logout): no reuse, nothing more to revoke
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    if row.used_at is None or row.used_at + grace <= _now():
        return None
    for _ in range(_MAX_SUCCESSOR_LINKS):
        if row.successor_sealed is None:
            return None
        successor = open_successor(token, row.successor_sealed, row.id)
        if successor is None:
            return None
        token = successor
        row = await repository.find_refresh_token(session, hash_opaque_token(token))
        if row is None or row.revoked_at is not None or row.expires_at <= _now():
            return None
        if row.used_at is None:
            return token
    return None


async def _revoke_family_now(database: Database, family_id: uuid.UUID) -> None:
    # Its own transaction: the request fails with 401 (and rolls back), the revocation stays.
    async with database.transaction(system_context("refresh_reuse")) as session:
        await repository.revoke_family(session, family_id)


async def logout(session: AsyncSession, refresh_token: str) -> None:
    """Revoke the token's family and end the user's access tokens issued until now."""
    await use_context(session, system_context("logout"))
    row = await repository.find_refresh_token(session, hash_opaque_token(refresh_token))
    if row is None or row.revoked_at is not None:
        return  # unknown or already ended: nothing to do, and nothing to tell
    # The version first: the same lock order as refresh (see lock_user_for_tokens).
    await repository.bump_token_version(session, row.user_id)
    await repository.revoke_family(session, row.family_id)


async def end_all_sessions(session: AsyncSession, user: User) -> None:
    """Every refresh family and access token of ``user`` dies ("log out everywhere", a new
    password). Needs a system context: refresh tokens are system rows."""
    version = await repository.bump_token_version(session, user.id)
    if version is not None:
        set_committed_value(user, "token_version", version)  # the ORM copy, without a write
    await repository.revoke_all_for_user(session, user.id)


async def logout_everywhere(session: AsyncSession, user: User) -> None:
    async with temporary_context(session, system_context("logout_all")):
        await end_all_sessions(session, user)


async def change_password(
    session: AsyncSession, settings: Settings, user: User, current: str, new: str,
    ip: str | None = None,
) -> bool:
    """Set ``user``'s password to ``new`` if ``current`` is theirs (else False, nothing changed);
    every signed-in device, the caller's too, then has to sign in again."""
    if not await passwords.verify_password_async(current, user.hashed_password):
        return False
    user.hashed_password = await passwords.hash_password_async(new, settings.bcrypt_rounds)
    async with temporary_context(session, system_context("password_change")):
        await end_all_sessions(session, user)
    await audit.record_of_user(session, AuditAction.USER_PASSWORD_CHANGED, user, ip=ip)
    return True


async def has_password(user: User, password: str) -> bool:
    """Whether ``password`` is ``user``'s (a check before an irreversible step)."""
    return await passwords.verify_password_async(password, user.hashed_password)


# --- platform operators (super admins): created from the command line, never over HTTP -------

def normalize_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc


async def create_super_admin(
    database: Database, settings: Settings, email: str, password: str
) -> uuid.UUID:
    email = normalize_email(email)
    try:
        passwords.validate_password(password)
    except passwords.WeakPasswordError as exc:
        raise WeakPassword(str(exc)) from exc
    hashed = await passwords.hash_password_async(password, settings.bcrypt_rounds)
    # The operator belongs to no company, so only a system context may write the row.
    async with database.transaction(system_context("create_super_admin")) as session:
        if await repository.find_user_by_email(session, email) is not None:
            raise EmailTaken()
        user = await repository.add_user(
            session,
            User(email=email, hashed_password=hashed, role=Role.SUPER_ADMIN, name=None,
                 email_verified_at=_now()),
        )
        return user.id


# --- invitations ---------------------------------------------------------------------------

async def invite(
    session: AsyncSession, settings: ResolvedSettings, *, company_id: uuid.UUID,
    company_name: str, email: str, role: Role, invited_by: uuid.UUID,
) -> Invitation:
    """Invite ``email`` to join the company as ``role``: an invitation row (the token stored
    hashed) and an email carrying the token, which POST /api/auth/register takes.

    ``EmailTaken`` when the address has an account the caller's context can see (an admin: one
    of their own company). An account in another company is not looked for: telling an admin
    so would reveal who uses Pitchlab; registering with the token then only sends that account's
    owner the "you already have an account" notice, as any second registration does."""
    email = email.lower()  # as registration stores it
    if await repository.find_user_by_email(session, email) is not None:
        raise EmailTaken()
    token, token_hash = new_opaque_token()
    invitation = await repository.add_invitation(session, Invitation(
        company_id=company_id, email=email, role=role, token_hash=token_hash,
        invited_by=invited_by, expires_at=_now() + INVITATION_LIFETIME,
    ))
    await queue_email(session, email, templates.invitation(
        settings.public_url, company_name, role, token, invitation.expires_at
    ))
    return invitation


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user with this id, as the caller's context may see it (None if not)."""
    return await repository.get_user(session, user_id)


async def forget_invitations_to(
    session: AsyncSession, company_id: uuid.UUID, email: str
) -> None:
    """The company's invitations to ``email`` (its user is being erased: the address goes too)."""
    await repository.delete_invitations_to(session, company_id, email)
