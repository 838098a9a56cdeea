"""Alert state: per alert key, when it last went out and how many were held back since."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from pitchlab.models.base import Base


class AlertState(Base):
    __tablename__ = "alert_states"
    __table_args__ = (
        CheckConstraint("suppressed >= 0 AND reported >= 0", name="alert_states_counts_check"),
    )

    key: Mapped[str] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime | None]
    # Alerts of this key held back since ``sent_at``; ``reported``: those the last message named.
    suppressed: Mapped[int] = mapped_column(server_default=text("0"))
    reported: Mapped[int] = mapped_column(server_default=text("0"))
    # A provider's current run of failures (alert keys "provider_down:<name>").
    failing_since: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
