"""Email delivery: Resend (official SDK) when ``PITCHLAB_RESEND_API_KEY`` is set, else the local
outbox, where every message stays readable with ``pitchlab outbox``.

Messages carry live links (email verification, invitations). With a real provider the recipient
has the only copy that needs them: nothing logs a link, and the outbox row's body is redacted once
the message is sent. Offline, the outbox *is* the mailbox: its rows keep their bodies and links,
and each delivery logs its links for the developer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

import resend

from pitchlab.config import Settings
from pitchlab.metrics import provider_call

log = logging.getLogger(__name__)
outbox_log = logging.getLogger("pitchlab.email.outbox")


@dataclass(frozen=True)
class EmailMessage:
    outbox_id: UUID
    sender: str
    to: str
    subject: str
    text: str
    html: str
    links: tuple[str, ...] = ()


class EmailSender(Protocol):
    name: str
    # True when the outbox row is the recipient's mailbox (offline): its body and links stay.
    local_mailbox: bool

    async def send(self, message: EmailMessage) -> str:
        """Deliver ``message``; return the provider's message id. Raise to have it retried."""
        ...


class ResendEmailSender:
    name = "resend"
    local_mailbox = False

    def __init__(self, api_key: str, base_url: str) -> None:
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")

    async def send(self, message: EmailMessage) -> str:
        # The SDK reads its configuration from module attributes; one process has one of each.
        resend.api_key = self._api_key
        resend.api_url = self._base_url
        async with provider_call("resend"):
            response = await resend.Emails.send_async(
                {
                    "from": message.sender,
                    "to": [message.to],
                    "subject": message.subject,
                    "text": message.text,
                    "html": message.html,
                },
                # a retry after a lost response must not send the email twice
                {"idempotency_key": f"pitchlab-outbox-{message.outbox_id}"},
            )
        return str(response["id"])


class OutboxEmailSender:
    """Offline delivery: the message is already in the outbox table; say where to find it."""

    name = "outbox"
    local_mailbox = True

    async def send(self, message: EmailMessage) -> str:
        # The local outbox is the developer's own mailbox, so its links are printed for them.
        # This is the only line that logs a link (logging_setup exempts it from redaction).
        outbox_log.info(
            "email to %s stored in the outbox: %r %s (pitchlab outbox --to %s)",
            message.to, message.subject, " ".join(message.links), message.to,
        )
        return f"outbox-{message.outbox_id}"


def build_email_sender(settings: Settings) -> EmailSender:
    if settings.resend_api_key is not None:
        return ResendEmailSender(
            settings.resend_api_key.get_secret_value(), settings.resend_base_url
        )
    return OutboxEmailSender()
