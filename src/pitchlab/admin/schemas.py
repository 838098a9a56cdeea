"""Request and response bodies of the admin endpoints."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from pitchlab.models import User
from pitchlab.models.values import Role


class AdminUserOut(BaseModel):
    """An account as its company's admins see it: never its password hash or API keys."""

    id: UUID
    email: str
    name: str | None
    role: Role
    company_id: UUID | None
    email_verified: bool
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        return cls(
            id=user.id, email=user.email, name=user.name, role=user.role,
            company_id=user.company_id, email_verified=user.email_verified_at is not None,
            disabled=user.disabled_at is not None, created_at=user.created_at,
        )


class AdminUserList(BaseModel):
    items: list[AdminUserOut]
    next_cursor: str | None
