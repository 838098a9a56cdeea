"""Bodies of the feedback endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from pitchlab.models.values import FeedbackStatus


class FeedbackOut(BaseModel):
    status: FeedbackStatus
    metrics: dict[str, Any] | None = None
    created_at: datetime | None = None
    error: str | None = None
