"""What billing tells the jobs that react to it, published in the transaction that made it true."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pitchlab.kit.events import DomainEvent
from pitchlab.models.values import EmailKind


@dataclasses.dataclass(frozen=True, kw_only=True)
class MinutesRunningOut(DomainEvent):
    """A charged minute took the company's quota to 80% of its total (``kind`` minutes_low) or
    to all of it (minutes_exhausted), the first time in the period that began at
    ``period_start``. The notice is claimed already: its emails are what is left to do."""

    name: ClassVar[str] = "billing.minutes_running_out"

    company_id: UUID
    kind: EmailKind
    used_minutes: int
    total_minutes: int
    period_start: datetime
