"""Queries of ``alert_states``: each one a single UPSERT, so concurrent processes serialize on
the row and agree on which of them sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Decision:
    due: bool  # this alert is the one to send
    held_back: int  # alerts of its key not sent since the last message


# Due when the key never went out or its last message is older than the interval; then the
# held-back count moves into ``reported`` (for this message) and starts again.
_RECORD = text("""
INSERT INTO alert_states AS s (key, sent_at) VALUES (:key, CAST(:now AS timestamptz))
ON CONFLICT (key) DO UPDATE SET
    reported = CASE WHEN s.sent_at IS NULL OR s.sent_at <= :cutoff
                    THEN s.suppressed ELSE s.reported END,
    suppressed = CASE WHEN s.sent_at IS NULL OR s.sent_at <= :cutoff
                      THEN 0 ELSE s.suppressed + 1 END,
    sent_at = CASE WHEN s.sent_at IS NULL OR s.sent_at <= :cutoff
                   THEN CAST(:now AS timestamptz) ELSE s.sent_at END
RETURNING s.sent_at = CAST(:now AS timestamptz) AS due, s.reported
""")

# A failure within ``gap`` of the previous one continues its run; a later one starts a new run.
_FAILURE = text("""
INSERT INTO alert_states AS s (key, failing_since, last_failure_at)
VALUES (:key, CAST(:now AS timestamptz), CAST(:now AS timestamptz))
ON CONFLICT (key) DO UPDATE SET
    failing_since = CASE WHEN s.last_failure_at IS NULL OR s.last_failure_at <= :gap_cutoff
                         THEN CAST(:now AS timestamptz) ELSE s.failing_since END,
    last_failure_at = CAST(:now AS timestamptz)
RETURNING s.failing_since
""")


async def record_alert(
    session: AsyncSession, key: str, now: datetime, interval: timedelta
) -> Decision:
    row = (await session.execute(
        _RECORD, {"key": key, "now": now, "cutoff": now - interval}
    )).one()
    return Decision(due=bool(row.due), held_back=int(row.reported) if row.due else 0)


async def record_failure(
    session: AsyncSession, key: str, now: datetime, gap: timedelta
) -> datetime:
    """Count a failure of ``key``; returns when its current run of failures began."""
    failing_since: datetime = (await session.execute(
        _FAILURE, {"key": key, "now": now, "gap_cutoff": now - gap}
    )).scalar_one()
    return failing_since
