"""SQL of the minute ledger, the usage rows and the subscriptions.

A minute is charged by two UPDATEs in one transaction: the session's ``minutes_billed`` moves from
n-1 to n (so charging minute n twice is a no-op), and every applicable quota row (the company's,
and the user's own cap when there is one) moves by one, all or none, only while each stays within
its total. Rows are locked in a fixed order, so concurrent charges queue instead of overspending
or deadlocking; the charge returns the company quota as it left it (what the "80% used" notice
reads). The rules that use these statements are in ``service.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import case, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import (
    BillingNotice,
    Company,
    MinuteGrant,
    MinuteQuota,
    Subscription,
    UsageRecord,
)
from pitchlab.models.values import MinuteGrantKind

_CLAIM_MINUTE = text(
    """
    UPDATE sessions SET minutes_billed = :minute, last_activity_at = now()
    WHERE id = :session_id AND status = 'in_progress' AND minutes_billed = :minute - 1
    RETURNING company_id, user_id
    """
)

_CHARGE_QUOTAS = text(
    """
    WITH quota AS (
        SELECT id, user_id, used_minutes, total_minutes FROM minute_quotas
        WHERE company_id = :company_id AND (user_id IS NULL OR user_id = :user_id)
        ORDER BY user_id NULLS FIRST
        FOR UPDATE
    ), verdict AS (
        SELECT bool_and(used_minutes + :minutes <= total_minutes)
               AND bool_or(user_id IS NULL) AS fits
        FROM quota
    )
    UPDATE minute_quotas SET used_minutes = used_minutes + :minutes, updated_at = now()
    WHERE id IN (SELECT id FROM quota) AND (SELECT fits FROM verdict)
    RETURNING user_id, used_minutes, total_minutes, period_start
    """
)

_REMAINING = text(
    """
    SELECT min(total_minutes - used_minutes), bool_or(user_id IS NULL) FROM minute_quotas
    WHERE company_id = :company_id AND (user_id IS NULL OR user_id = :user_id)
    """
)

_RECORD_USAGE = text(
    """
    INSERT INTO usage_records (user_id, session_id, company_id, minutes_used)
    VALUES (:user_id, :session_id, :company_id, :minutes)
    ON CONFLICT (session_id) DO NOTHING
    """
)


class CompanyMinutes(NamedTuple):
    """The company quota's row after a charge: its minutes in the period that began at
    ``period_start``."""

    used: int
    total: int
    period_start: datetime


class Payer(NamedTuple):
    """Whose quotas a session's minutes are charged to."""

    company_id: UUID
    user_id: UUID


async def claim_minute(session: AsyncSession, session_id: UUID, minute: int) -> Payer | None:
    """Move a live session's ``minutes_billed`` from ``minute - 1`` to ``minute``. None when the
    minute was claimed already or the session is not live any more."""
    claimed = (await session.execute(
        _CLAIM_MINUTE, {"session_id": session_id, "minute": minute}
    )).first()
    return None if claimed is None else Payer(claimed.company_id, claimed.user_id)


async def charge_quotas(
    session: AsyncSession, company_id: UUID, user_id: UUID, minutes: int
) -> CompanyMinutes | None:
    """Move every quota row that applies by ``minutes``, all or none, and return the company
    quota as it is now. None when one would go over its total, or the company has no quota
    row."""
    charged = (await session.execute(
        _CHARGE_QUOTAS, {"company_id": company_id, "user_id": user_id, "minutes": minutes}
    )).all()
    if not charged:
        return None
    # Exactly one: the verdict charges nothing without the company's row.
    (company,) = [row for row in charged if row.user_id is None]
    return CompanyMinutes(company.used_minutes, company.total_minutes, company.period_start)


async def least_remaining(
    session: AsyncSession, company_id: UUID, user_id: UUID
) -> tuple[int | None, bool]:
    """(the fewest minutes left on any quota row that applies, whether the company has one)."""
    least, has_company_quota = (await session.execute(
        _REMAINING, {"company_id": company_id, "user_id": user_id}
    )).one()
    return least, bool(has_company_quota)


async def insert_usage(
    session: AsyncSession, *, session_id: UUID, company_id: UUID, user_id: UUID, minutes: int
) -> None:
    await session.execute(_RECORD_USAGE, {
        "session_id": session_id, "company_id": company_id, "user_id": user_id, "minutes": minutes,
    })



async def has_subscription_in(
    session: AsyncSession, company_id: UUID, statuses: Collection[str]
) -> bool:
    found = await session.scalar(
        select(func.count()).select_from(Subscription).where(
            Subscription.company_id == company_id, Subscription.status.in_(statuses)
        )
    )
    return bool(found)


async def usage_of_user(session: AsyncSession, user_id: UUID) -> Sequence[UsageRecord]:
    result = await session.execute(select(UsageRecord).where(UsageRecord.user_id == user_id))
    return result.scalars().all()


async def claim_notice(session: AsyncSession, company_id: UUID, kind: str, occasion: str) -> bool:
    """Record that the notice ``(kind, occasion)`` goes to the company now; False when it went
    already. Concurrent claims of one notice: the second waits for the first's commit, then
    finds it."""
    result = await session.execute(
        insert(BillingNotice)
        .values(company_id=company_id, kind=kind, occasion=occasion)
        .on_conflict_do_nothing(constraint="billing_notices_once_key")
        .returning(BillingNotice.id)
    )
    return result.scalar_one_or_none() is not None


# --- the subscription mirror and minute grants (Stripe's webhooks) ---

# One key per Stripe subscription for pg_advisory_xact_lock (a 64-bit hash: a collision only
# makes two subscriptions wait for each other).
_LOCK_SUBSCRIPTION = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('stripe_subscription:' || :id, 0))"
)


async def lock_stripe_subscription(session: AsyncSession, stripe_subscription_id: str) -> None:
    """Hold the subscription until the transaction ends: whoever reads it from Stripe next
    writes the mirror after this transaction did, so a slower, older read never lands last."""
    await session.execute(_LOCK_SUBSCRIPTION, {"id": stripe_subscription_id})


async def mirror_for_update(
    session: AsyncSession, stripe_subscription_id: str
) -> Subscription | None:
    result = await session.execute(
        select(Subscription)
        .where(Subscription.stripe_subscription_id == stripe_subscription_id)
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def add_mirror(session: AsyncSession, company_id: UUID, values: Mapping[str, Any]) -> None:
    session.add(Subscription(company_id=company_id, **values))
    await session.flush()


async def update_mirror(session: AsyncSession, row_id: UUID, values: Mapping[str, Any]) -> None:
    await session.execute(
        update(Subscription).where(Subscription.id == row_id)
        .values(**values, updated_at=func.now())
    )


async def lock_company_quota(session: AsyncSession, company_id: UUID) -> MinuteQuota:
    """The company's quota row, locked until the transaction ends (made, empty, if it is
    missing). Every write of a company's minutes by a payment takes this lock first, so grants,
    plan changes and top-ups of one company apply one after the other; charging a minute locks
    the same row first too, so nothing deadlocks."""
    await session.execute(
        insert(MinuteQuota)
        .values(company_id=company_id, total_minutes=0, used_minutes=0)
        .on_conflict_do_nothing(
            index_elements=[MinuteQuota.company_id], index_where=MinuteQuota.user_id.is_(None)
        )
    )
    result = await session.execute(
        select(MinuteQuota)
        .where(MinuteQuota.company_id == company_id, MinuteQuota.user_id.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def latest_granted_period(session: AsyncSession, company_id: UUID) -> datetime | None:
    """The start of the newest billing period an invoice has granted minutes for."""
    return await session.scalar(
        select(func.max(MinuteGrant.period_start)).where(
            MinuteGrant.company_id == company_id, MinuteGrant.kind == MinuteGrantKind.PERIOD
        )
    )


async def insert_grant(
    session: AsyncSession, *, company_id: UUID, kind: MinuteGrantKind, stripe_object_id: str,
    item_id: str, minutes: int, period_start: datetime | None, period_end: datetime | None,
) -> bool:
    """Record the grant; False when this Stripe object granted its minutes already (a
    concurrent grant of the same object waits for the first's commit, then finds it)."""
    result = await session.execute(
        insert(MinuteGrant)
        .values(
            company_id=company_id, kind=kind, stripe_object_id=stripe_object_id,
            item_id=item_id, minutes=minutes, period_start=period_start, period_end=period_end,
        )
        .on_conflict_do_nothing(index_elements=[MinuteGrant.stripe_object_id])
        .returning(MinuteGrant.id)
    )
    return result.scalar_one_or_none() is not None


async def start_period(
    session: AsyncSession, company_id: UUID, total_minutes: int, period_start: datetime
) -> None:
    """A new paid period: the company's total becomes ``total_minutes``; every quota row of the
    company (a user's own cap keeps its total) counts used minutes from zero again."""
    await session.execute(
        update(MinuteQuota)
        .where(MinuteQuota.company_id == company_id)
        .values(
            total_minutes=case(
                (MinuteQuota.user_id.is_(None), total_minutes), else_=MinuteQuota.total_minutes
            ),
            used_minutes=0, period_start=period_start, updated_at=func.now(),
        )
    )


async def set_total_minutes(session: AsyncSession, quota_id: UUID, total_minutes: int) -> None:
    await session.execute(
        update(MinuteQuota).where(MinuteQuota.id == quota_id)
        .values(total_minutes=total_minutes, updated_at=func.now())
    )


async def add_total_minutes(session: AsyncSession, quota_id: UUID, minutes: int) -> None:
    await session.execute(
        update(MinuteQuota).where(MinuteQuota.id == quota_id)
        .values(total_minutes=MinuteQuota.total_minutes + minutes, updated_at=func.now())
    )


async def top_up_minutes_of_period(
    session: AsyncSession, company_id: UUID, period_start: datetime
) -> int:
    """The minutes the company's top-ups added to the period that began at ``period_start``."""
    found = await session.scalar(
        select(func.coalesce(func.sum(MinuteGrant.minutes), 0)).where(
            MinuteGrant.company_id == company_id, MinuteGrant.kind == MinuteGrantKind.TOP_UP,
            MinuteGrant.period_start == period_start,
        )
    )
    return int(found or 0)


# --- reads and writes of the billing endpoints ---



async def latest_subscription(
    session: AsyncSession, company_id: UUID, statuses: Collection[str] | None = None,
    *, for_update: bool = False,
) -> Subscription | None:
    """The company's newest subscription row (among ``statuses``, when given), locked until
    the transaction ends with ``for_update``."""
    query = select(Subscription).where(Subscription.company_id == company_id)
    if statuses is not None:
        query = query.where(Subscription.status.in_(statuses))
    query = query.order_by(Subscription.created_at.desc(), Subscription.id.desc()).limit(1)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def subscription_count(session: AsyncSession, company_id: UUID) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(Subscription).where(Subscription.company_id == company_id)
    ) or 0)


async def top_up_grant_count(session: AsyncSession, company_id: UUID) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(MinuteGrant).where(
            MinuteGrant.company_id == company_id, MinuteGrant.kind == MinuteGrantKind.TOP_UP
        )
    ) or 0)


async def company_quota(session: AsyncSession, company_id: UUID) -> MinuteQuota | None:
    """The company's own quota row (not a user's cap)."""
    return (await session.execute(
        select(MinuteQuota).where(MinuteQuota.company_id == company_id,
                                  MinuteQuota.user_id.is_(None))
    )).scalar_one_or_none()




# --- trial and minutes notices -----------------------------------------------------------------


class TrialEnd(NamedTuple):
    company_id: UUID
    trial_expires_at: datetime


async def trials_ending_between(
    session: AsyncSession, after: datetime, until: datetime, practising: Collection[str]
) -> list[TrialEnd]:
    """The companies whose trial ends (or ended) after ``after`` and by ``until``, unless they
    have a subscription in one of the ``practising`` statuses; soonest first."""
    subscribed = exists().where(
        Subscription.company_id == Company.id, Subscription.status.in_(practising))
    result = await session.execute(
        select(Company.id, Company.trial_expires_at).where(
            Company.trial_expires_at > after, Company.trial_expires_at <= until, ~subscribed,
        ).order_by(Company.trial_expires_at)
    )
    return [TrialEnd(row.id, row.trial_expires_at) for row in result]


async def notices_sent(
    session: AsyncSession, company_ids: Collection[UUID], kinds: Collection[str]
) -> set[tuple[UUID, str, str]]:
    """(company, kind, occasion) of each notice of these ``kinds`` sent to these companies."""
    result = await session.execute(
        select(BillingNotice.company_id, BillingNotice.kind, BillingNotice.occasion).where(
            BillingNotice.company_id.in_(company_ids), BillingNotice.kind.in_(kinds))
    )
    return {(row.company_id, row.kind, row.occasion) for row in result}


async def latest_subscriptions(
    session: AsyncSession, company_ids: Collection[UUID]
) -> dict[UUID, Subscription]:
    """Each company's newest subscription row, for those that have one (a company has a handful
    of rows at most: the newest first, the first seen kept)."""
    rows = await session.execute(
        select(Subscription).where(Subscription.company_id.in_(company_ids))
        .order_by(Subscription.created_at.desc(), Subscription.id.desc())
    )
    newest: dict[UUID, Subscription] = {}
    for row in rows.scalars():
        newest.setdefault(row.company_id, row)
    return newest


async def company_quotas(
    session: AsyncSession, company_ids: Collection[UUID]
) -> dict[UUID, MinuteQuota]:
    """Each company's own quota row (not its users' caps)."""
    rows = await session.execute(
        select(MinuteQuota).where(MinuteQuota.company_id.in_(company_ids),
                                  MinuteQuota.user_id.is_(None))
    )
    return {row.company_id: row for row in rows.scalars()}


async def user_caps(
    session: AsyncSession, company_id: UUID, user_ids: Collection[UUID]
) -> dict[UUID, MinuteQuota]:
    """The caps of these users of the company (users without one are left out)."""
    rows = await session.execute(
        select(MinuteQuota).where(MinuteQuota.company_id == company_id,
                                  MinuteQuota.user_id.in_(user_ids))
    )
    return {row.user_id: row for row in rows.scalars() if row.user_id is not None}


async def set_user_cap(
    session: AsyncSession, company_id: UUID, user_id: UUID, total_minutes: int
) -> MinuteQuota:
    """The user's cap within the company's minutes, made or changed (its used minutes kept)."""
    result = await session.execute(
        insert(MinuteQuota)
        .values(company_id=company_id, user_id=user_id, total_minutes=total_minutes,
                used_minutes=0)
        .on_conflict_do_update(
            index_elements=[MinuteQuota.user_id], index_where=MinuteQuota.user_id.is_not(None),
            set_={"total_minutes": total_minutes, "updated_at": func.now()},
        )
        .returning(MinuteQuota)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one()
