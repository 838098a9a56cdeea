"""SQL for companies and their minute quotas."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import Company, MinuteQuota, User
from pitchlab.models.values import Role


async def create_with_trial(
    session: AsyncSession, name: str, trial_expires_at: datetime, trial_minutes: int
) -> Company:
    company = Company(name=name, trial_expires_at=trial_expires_at)
    session.add(company)
    await session.flush()
    session.add(MinuteQuota(company_id=company.id, total_minutes=trial_minutes, used_minutes=0))
    await session.flush()
    return company


async def get(session: AsyncSession, company_id: UUID) -> Company | None:
    return await session.get(Company, company_id)


async def delete(session: AsyncSession, company_id: UUID) -> None:
    """The company and, by cascade, everything of it."""
    await session.execute(sa_delete(Company).where(Company.id == company_id))


async def trial_running(session: AsyncSession, company_id: UUID, now: datetime) -> bool:
    """The company's trial has not expired at ``now`` (the trial's end is on its row)."""
    return bool(await session.scalar(
        select(exists().where(Company.id == company_id, Company.trial_expires_at > now))
    ))


async def admin_contacts(session: AsyncSession, company_id: UUID) -> list[tuple[str, str | None]]:
    """(email, name) of the company's admins who can read mail from us: confirmed, not
    disabled."""
    result = await session.execute(
        select(User.email, User.name).where(
            User.company_id == company_id, User.role == Role.ADMIN,
            User.email_verified_at.is_not(None), User.disabled_at.is_(None),
        ).order_by(User.created_at)
    )
    return [(row.email, row.name) for row in result]


async def company_by_stripe_customer(session: AsyncSession, customer_id: str) -> Company | None:
    return await session.scalar(select(Company).where(Company.stripe_customer_id == customer_id))


async def lock(session: AsyncSession, company_id: UUID) -> Company | None:
    """The company's row, locked until the transaction ends (``SELECT ... FOR UPDATE``)."""
    result = await session.execute(
        select(Company).where(Company.id == company_id).with_for_update()
        # The row may already be in the session's identity map: read it afresh under the lock.
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def set_stripe_customer_id(session: AsyncSession, company_id: UUID, customer_id: str) -> None:
    await session.execute(
        update(Company).where(Company.id == company_id).values(stripe_customer_id=customer_id)
    )


async def retention_cutoffs(
    session: AsyncSession, default_days: int, now: datetime
) -> list[tuple[UUID, datetime]]:
    """(company, the moment before which its calls' transcripts and feedback go), for every
    company: its own retention, else ``default_days``."""
    days = func.coalesce(Company.retention_days, default_days)
    result = await session.execute(
        select(Company.id, now - func.make_interval(0, 0, 0, days)).order_by(Company.id)
    )
    return [(row[0], row[1]) for row in result]


async def update_settings(session: AsyncSession, company_id: UUID, changes: dict[str, object]
                          ) -> Company | None:
    """Write ``changes`` (column -> value) to the company; the row as it is now."""
    if changes:
        await session.execute(update(Company).where(Company.id == company_id).values(**changes))
    result = await session.execute(
        select(Company).where(Company.id == company_id).execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def count_active_admins(session: AsyncSession, company_id: UUID) -> int:
    """Admins of the company who can still sign in (not disabled)."""
    result = await session.scalar(
        select(func.count()).select_from(User).where(
            User.company_id == company_id, User.role == Role.ADMIN, User.disabled_at.is_(None),
        )
    )
    return int(result or 0)


async def list_page(
    session: AsyncSession, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[Company]:
    """Companies, oldest first (keyset on created_at, id)."""
    query = select(Company).order_by(Company.created_at, Company.id).limit(limit)
    if after is not None:
        created, last_id = after
        query = query.where(or_(
            Company.created_at > created, and_(Company.created_at == created, Company.id > last_id)
        ))
    return list((await session.execute(query)).scalars())
