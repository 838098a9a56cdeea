"""SQL for identities: users (looked up, created, locked, versioned), verification tokens,
refresh-token families and invitations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import EmailVerificationToken, Invitation, RefreshToken, User
from pitchlab.security.emails import canonical_email


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The account of an address, compared on its canonical form (lookalikes find the same
    account). Rows without one (raw SQL, lookalikes the migration found) match exactly."""
    exact = func.lower(User.email) == email.lower()
    result = await session.execute(
        select(User)
        .where(or_(User.email_canonical == canonical_email(email),
                   and_(User.email_canonical.is_(None), exact)))
        .order_by(exact.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def add_user(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: UUID) -> User | None:
    return await session.get(User, user_id)


async def add_verification_token(
    session: AsyncSession, user_id: UUID, token_hash: str, expires_at: datetime
) -> None:
    session.add(
        EmailVerificationToken(user_id=user_id, token_hash=token_hash, expires_at=expires_at)
    )
    await session.flush()


async def spend_verification_token(session: AsyncSession, token_hash: str) -> UUID | None:
    """Mark the token used if it is live; return its user. One conditional UPDATE, so two
    clicks at once cannot both succeed."""
    result = await session.execute(
        update(EmailVerificationToken)
        .where(
            EmailVerificationToken.token_hash == token_hash,
            EmailVerificationToken.used_at.is_(None),
            EmailVerificationToken.expires_at > func.now(),
        )
        .values(used_at=func.now())
        .returning(EmailVerificationToken.user_id)
    )
    return result.scalar_one_or_none()


async def retire_verification_tokens(session: AsyncSession, user_id: UUID) -> None:
    """A new link replaces the old ones."""
    await session.execute(
        update(EmailVerificationToken)
        .where(EmailVerificationToken.user_id == user_id, EmailVerificationToken.used_at.is_(None))
        .values(used_at=func.now())
    )


async def add_refresh_token(
    session: AsyncSession, *, user_id: UUID, family_id: UUID, token_hash: str,
    expires_at: datetime,
) -> None:
    session.add(
        RefreshToken(user_id=user_id, family_id=family_id, token_hash=token_hash,
                     expires_at=expires_at)
    )
    await session.flush()


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    result = await session.execute(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    )
    return result.scalar_one_or_none()


async def reload_refresh_token(session: AsyncSession, token_id: UUID) -> RefreshToken | None:
    """The row as committed now (not the session's earlier copy): after losing a race to spend
    it, the winner's changes are what matter."""
    result = await session.execute(
        select(RefreshToken).where(RefreshToken.id == token_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def spend_refresh_token(
    session: AsyncSession, token_id: UUID, *, at: datetime, successor_sealed: str
) -> bool:
    """Mark a live token spent and keep its sealed successor. False when somebody spent or
    revoked it first (a reuse, or a race: the loser waits for the winner's commit)."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=at, successor_sealed=successor_sealed)
        .returning(RefreshToken.id)
    )
    return result.scalar_one_or_none() is not None


async def revoke_family(session: AsyncSession, family_id: UUID) -> None:
    # A revoked row's sealed successor can never be handed out again: drop it.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now(), successor_sealed=None)
    )


async def revoke_all_for_user(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now(), successor_sealed=None)
    )


async def lock_user_for_tokens(session: AsyncSession, user_id: UUID) -> User | None:
    """The user row, share-locked until commit. Issuing tokens takes this lock before touching
    refresh tokens, and ``bump_token_version`` (its exclusive counterpart) comes first in every
    revocation, so a refresh racing "log out everywhere" either finishes before it (and its
    tokens are revoked with the rest) or waits and then finds its token revoked."""
    result = await session.execute(
        select(User).where(User.id == user_id)
        .with_for_update(read=True).execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def bump_token_version(session: AsyncSession, user_id: UUID) -> int | None:
    """End every access token of the user issued so far (their ``ver`` no longer matches).
    One atomic increment, so two bumps at once both count. None when the user is gone."""
    result = await session.execute(
        update(User).where(User.id == user_id)
        .values(token_version=User.token_version + 1)
        .returning(User.token_version)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def find_open_invitation(session: AsyncSession, token_hash: str) -> Invitation | None:
    result = await session.execute(
        select(Invitation)
        .where(
            Invitation.token_hash == token_hash,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > func.now(),
        )
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def delete_invitations_to(session: AsyncSession, company_id: UUID, email: str) -> None:
    """Every invitation of the company addressed to ``email``, accepted or not."""
    await session.execute(
        sa_delete(Invitation).where(
            Invitation.company_id == company_id, func.lower(Invitation.email) == email.lower()
        )
    )


async def add_invitation(session: AsyncSession, invitation: Invitation) -> Invitation:
    session.add(invitation)
    await session.flush()
    return invitation
