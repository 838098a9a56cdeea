"""What practice tells other domains, published in the transaction that made it true."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pitchlab.kit.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class SessionCompleted(DomainEvent):
    """A call ended as completed (by its rep, an admin or the idle sweep): it is final, billed,
    and its transcript will not change. A cancelled call publishes nothing."""

    name: ClassVar[str] = "practice.session_completed"

    session_id: UUID
    company_id: UUID
    user_id: UUID
    ended_at: datetime
    minutes_billed: int
