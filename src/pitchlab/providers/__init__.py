"""The outside world, one Protocol per capability, each with a real and an offline adapter."""

from __future__ import annotations

from dataclasses import dataclass

from pitchlab.config import Settings
from pitchlab.providers.email import EmailSender, build_email_sender
from pitchlab.providers.voice import OfflineVoiceProvider, VoiceProvider


@dataclass
class Providers:
    email: EmailSender
    voice: VoiceProvider


def build_providers(settings: Settings) -> Providers:
    return Providers(email=build_email_sender(settings), voice=OfflineVoiceProvider())
