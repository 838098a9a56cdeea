"""Who may call us: one module per provider, each verifying its own signature scheme.

A source is a class that follows ``WebhookSource``; its module names it as ``SOURCE``. Every
module of this package is a source: ``POST /api/webhooks/<name>`` is served for each one found
here, so adding a provider (Calendly, issue 12) is one new file, ``sources/calendly.py``. What an
event *does* is not the source's business: the domain that cares registers a handler for it
(``webhooks.service.handles``). A provider whose payload carries no event id (Calendly's does
not) derives one in ``verify`` from what identifies the event (its name and the invitee's URI):
that id is what makes a redelivery a duplicate.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pydantic import SecretStr

from pitchlab.config import Settings
from pitchlab.webhooks.errors import WebhookNotConfigured


@dataclass(frozen=True)
class VerifiedEvent:
    """A delivery whose signature held: the provider's event id and type, and the parsed body."""

    event_id: str
    event_type: str
    payload: dict[str, Any]


class WebhookSource(Protocol):
    name: ClassVar[str]  # the path under /api/webhooks/ and the inbox's ``source``
    signature_header: ClassVar[str]  # where the provider puts its signature (for the docs)
    description: ClassVar[str]  # what the endpoint takes, for /openapi.json

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookSource: ...

    def verify(self, body: bytes, headers: Mapping[str, str]) -> VerifiedEvent:
        """Check the signature over ``body`` exactly as received, and only then parse it. Raises
        a ``webhooks.errors`` error: not configured, invalid signature, stale, invalid payload."""
        ...


def signing_secret(secret: SecretStr | None) -> str:
    """The configured secret, or ``WebhookNotConfigured``: an unset or blank secret must reject
    every delivery, never verify against an empty key (which anyone can sign with)."""
    value = secret.get_secret_value().strip() if secret is not None else ""
    if not value:
        raise WebhookNotConfigured()
    return value


def installed_sources() -> list[type[WebhookSource]]:
    """Every source of this package, in module order."""
    sources: dict[str, type[WebhookSource]] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        source: type[WebhookSource] = module.SOURCE
        if source.name in sources:
            raise ValueError(f"two webhook sources are named {source.name!r}")
        sources[source.name] = source
    return list(sources.values())
