"""The outbox after composing: redacting delivered messages. (``pitchlab outbox`` reads it
through ``mailbox.py``.)"""

from __future__ import annotations

from pitchlab.models import OutboxEmail


def redact_bodies(message: OutboxEmail) -> None:
    """Drop what a delivered (or abandoned) message no longer needs: its body and links, which
    hold live tokens. Recipient, subject, kind, status and times stay as the audit trail."""
    marker = f"[redacted once {message.status}: this message held live links]"
    message.text_body = marker
    message.html_body = marker
    message.links = []
