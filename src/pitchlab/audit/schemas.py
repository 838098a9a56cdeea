"""Audit log response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from pitchlab.models.values import AuditAction


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    actor_id: UUID | None
    action: AuditAction
    target_type: str | None
    target_id: str | None
    company_id: UUID | None
    ip: str | None
    created_at: datetime
    details: dict[str, Any]


class AuditLogList(BaseModel):
    items: list[AuditLogOut]
    next_cursor: str | None
