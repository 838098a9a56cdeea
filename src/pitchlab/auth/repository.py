"""SQL for verification tokens, refresh-token families and invitations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import EmailVerificationToken, Invitation, RefreshToken


async def add_verification_token(
    session: AsyncSession, user_id: UUID, token_hash: str, expires_at: datetime
) -> None:
    session.add(EmailVerificationToken(user_id=user_id, token_hash=token_hash, expires_at=expires_at))
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
    result = await session.execute(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    return result.scalar_one_or_none()


async def spend_refresh_token(session: AsyncSession, token_id: UUID) -> bool:
    """Mark a live token spent. False when somebody spent it first (a reuse, or a race)."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=func.now())
        .returning(RefreshToken.id)
    )
    return result.scalar_one_or_none() is not None


async def revoke_family(session: AsyncSession, family_id: UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def revoke_all_for_user(session: AsyncSession, user_id: UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


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
