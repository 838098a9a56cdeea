"""The outbox after composing: redacting delivered messages, and reading it for
``pitchlab outbox`` (what was sent or is waiting, newest first)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.models import OutboxEmail


def redact_bodies(message: OutboxEmail) -> None:
    """Drop what a delivered (or abandoned) message no longer needs: its body and links, which
    hold live tokens. Recipient, subject, kind, status and times stay as the audit trail."""
    marker = f"[redacted once {message.status}: this message held live links]"
    message.text_body = marker
    message.html_body = marker
    message.links = []


async def list_messages(session: AsyncSession, to: str | None, limit: int) -> list[OutboxEmail]:
    query = select(OutboxEmail).order_by(OutboxEmail.created_at.desc(), OutboxEmail.id).limit(limit)
    if to:
        query = query.where(func.lower(OutboxEmail.to_address) == to.strip().lower())
    return list((await session.execute(query)).scalars())


def as_dict(message: OutboxEmail) -> dict:
    return {
        "id": str(message.id),
        "to": message.to_address,
        "subject": message.subject,
        "kind": message.kind,
        "status": message.status,
        "links": list(message.links),
        "created_at": message.created_at.isoformat(),
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "text": message.text_body,
    }
