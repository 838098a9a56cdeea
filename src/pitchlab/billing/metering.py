"""Minute metering as a ledger.

A minute is charged by two UPDATEs in one transaction: the session's ``minutes_billed`` moves from
n-1 to n (so charging minute n twice is a no-op), and every applicable quota row (the company's,
and the user's own cap when there is one) moves by one, all or none, only while each stays within
its total. Rows are locked in a fixed order, so concurrent charges queue instead of overspending
or deadlocking. At the end of a call one usage row records ``minutes_billed``.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class QuotaExhausted(Exception):
    """No minute left on the company quota or the user's cap."""


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
    RETURNING id
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


async def charge_quotas(session: AsyncSession, company_id: UUID, user_id: UUID, minutes: int = 1) -> None:
    result = await session.execute(
        _CHARGE_QUOTAS, {"company_id": company_id, "user_id": user_id, "minutes": minutes}
    )
    if not result.all():
        raise QuotaExhausted


async def charge_minute(session: AsyncSession, session_id: UUID, minute: int) -> bool:
    """Charge minute number ``minute`` (1-based) of a live session.

    True when this call charged it, False when it was charged already or the session is not
    live any more. Raises QuotaExhausted, leaving the transaction for the caller to roll back.
    """
    claimed = (await session.execute(
        _CLAIM_MINUTE, {"session_id": session_id, "minute": minute}
    )).first()
    if claimed is None:
        return False
    await charge_quotas(session, claimed.company_id, claimed.user_id)
    return True


async def minutes_remaining(session: AsyncSession, company_id: UUID, user_id: UUID) -> int:
    least, has_company_quota = (await session.execute(
        _REMAINING, {"company_id": company_id, "user_id": user_id}
    )).one()
    if not has_company_quota or least is None:
        return 0
    return max(0, int(least))


async def record_usage(
    session: AsyncSession, *, session_id: UUID, company_id: UUID, user_id: UUID, minutes: int
) -> None:
    """The session's one usage row; a replay of the end of a call writes nothing more."""
    await session.execute(
        _RECORD_USAGE,
        {"session_id": session_id, "company_id": company_id, "user_id": user_id, "minutes": minutes},
    )
