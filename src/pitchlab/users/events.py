"""What the users domain tells the others (``pitchlab.kit.events``)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar
from uuid import UUID

from pitchlab.kit.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserDeleted(DomainEvent):
    """A user erased their account (GDPR): its row and personal data are gone. Published in the
    erasing transaction, so a subscriber runs exactly when the erasure committed. It carries ids
    only: nothing of the erased person outlives the erasure in the queue."""

    name: ClassVar[str] = "users.user_deleted"

    user_id: UUID
    company_id: UUID | None
