"""Companies: created with a trial at sign-up, read for a profile, erased with their last user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.companies import repository
from pitchlab.config import Settings
from pitchlab.models import Company


async def create_with_trial(session: AsyncSession, settings: Settings, name: str) -> Company:
    """A new company on a trial: ``trial_days`` from now, ``trial_minutes`` of practice."""
    return await repository.create_with_trial(
        session, name,
        trial_expires_at=datetime.now(UTC) + timedelta(days=settings.trial_days),
        trial_minutes=settings.trial_minutes,
    )


async def get(session: AsyncSession, company_id: UUID) -> Company | None:
    return await repository.get(session, company_id)


async def erase(session: AsyncSession, company_id: UUID) -> None:
    """The company and everything of it (its last user has gone)."""
    await repository.delete(session, company_id)


async def trial_running(session: AsyncSession, company_id: UUID, now: datetime) -> bool:
    return await repository.trial_running(session, company_id, now)


async def admin_contacts(session: AsyncSession, company_id: UUID) -> list[tuple[str, str | None]]:
    """Who hears about the company's trial, subscription and minutes: its active admins."""
    return await repository.admin_contacts(session, company_id)


async def company_by_stripe_customer(session: AsyncSession, customer_id: str) -> Company | None:
    """The company that Stripe customer pays for (``companies.stripe_customer_id``)."""
    return await repository.company_by_stripe_customer(session, customer_id)


async def lock(session: AsyncSession, company_id: UUID) -> Company | None:
    """The company, its row locked until the transaction ends: who holds it decides alone
    (say, whether the company has a Stripe customer yet)."""
    return await repository.lock(session, company_id)


async def set_stripe_customer_id(session: AsyncSession, company_id: UUID, customer_id: str) -> None:
    """Remember the company's Stripe customer (its one customer: webhooks find it by this id)."""
    await repository.set_stripe_customer_id(session, company_id, customer_id)


async def retention_cutoffs(
    session: AsyncSession, default_days: int, now: datetime
) -> list[tuple[UUID, datetime]]:
    return await repository.retention_cutoffs(session, default_days, now)


async def update_settings(
    session: AsyncSession, company_id: UUID, changes: dict[str, object]
) -> Company | None:
    """The company's own settings (retention_days, leaderboard_enabled), as its admin sets them."""
    return await repository.update_settings(session, company_id, changes)


async def count_active_admins(session: AsyncSession, company_id: UUID) -> int:
    """Admins of the company who can still sign in: one must always remain."""
    return await repository.count_active_admins(session, company_id)


async def list_page(
    session: AsyncSession, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Company]:
    """Every company the caller's context shows, oldest first, after the keyset ``after``."""
    return await repository.list_page(session, after=after, limit=limit)
