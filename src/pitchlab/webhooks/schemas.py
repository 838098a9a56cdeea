"""What the webhook endpoints answer. Their request bodies are the providers' own, read raw."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class WebhookReceived(BaseModel):
    received: Literal[True] = True
    duplicate: bool = Field(
        description="True when this event was delivered before: the delivery changed nothing."
    )
