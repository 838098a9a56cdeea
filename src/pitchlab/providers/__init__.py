"""The outside world, one Protocol per capability, each with a real and an offline adapter."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from pitchlab.config import Settings
from pitchlab.providers.email import EmailSender, build_email_sender
from pitchlab.providers.llm import OpenAISkillScorer, SkillScorer
from pitchlab.providers.payments import BillingGateway, BillingOff, StripeBillingGateway
from pitchlab.providers.scheduling import CalendlyScheduler, DemoScheduler, SchedulingOff
from pitchlab.providers.storage import FileStore, build_file_store
from pitchlab.providers.transcription import (
    ElevenLabsTranscriber,
    OpenAITranscriber,
    Transcriber,
)
from pitchlab.providers.voice import OfflineVoiceProvider, VoiceProvider
from pitchlab.security.vault import Vault


@dataclass
class Providers:
    email: EmailSender
    voice: VoiceProvider
    scorer: SkillScorer
    billing: BillingGateway
    # Uploaded recordings: where their files live, and who transcribes audio (None: nobody,
    # so audio uploads are refused and meeting transcripts still work).
    files: FileStore
    transcriber: Transcriber | None
    # A default, so that tests building Providers by hand for other domains need not name it.
    scheduling: DemoScheduler = field(default_factory=SchedulingOff)

    async def aclose(self) -> None:
        await self.voice.aclose()


def build_providers(settings: Settings, vault: Vault) -> Providers:
    return Providers(email=build_email_sender(settings),
                     voice=build_voice_provider(settings, vault),
                     scorer=build_scorer(settings, vault),
                     billing=build_billing_gateway(settings),
                     scheduling=build_scheduler(settings),
                     files=build_file_store(settings),
                     transcriber=build_transcriber(settings, vault))


def build_scheduler(settings: Settings) -> DemoScheduler:
    token = (settings.calendly_api_token.get_secret_value().strip()
             if settings.calendly_api_token else "")
    if not token or not settings.calendly_event_type:
        return SchedulingOff()
    return CalendlyScheduler(base_url=settings.calendly_base_url, api_token=token,
                             event_type=settings.calendly_event_type)


def build_billing_gateway(settings: Settings) -> BillingGateway:
    if settings.stripe_api_key is None or not settings.stripe_api_key.get_secret_value().strip():
        return BillingOff()
    return StripeBillingGateway(
        api_key=settings.stripe_api_key.get_secret_value().strip(),
        api_base=settings.stripe_api_base,
        timeout_seconds=settings.stripe_timeout_seconds,
        max_network_retries=settings.stripe_max_network_retries,
    )


def build_scorer(settings: Settings, vault: Vault) -> SkillScorer:
    # Always the OpenAI adapter: users may bring their own key even when the platform has none;
    # with no key at all it scores locally.
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAISkillScorer(platform_key=key, base_url=settings.openai_base_url,
                             model=settings.openai_model, vault=vault,
                             response_format=settings.openai_response_format)


def build_voice_provider(settings: Settings, vault: Vault) -> VoiceProvider:
    # Users may bring their own ElevenLabs key, so the relay is wired whenever an agent exists.
    if settings.elevenlabs_agent_id is None:
        return OfflineVoiceProvider()
    from pitchlab.providers.elevenlabs import ElevenLabsVoiceProvider

    key = settings.elevenlabs_api_key.get_secret_value() if settings.elevenlabs_api_key else None
    return ElevenLabsVoiceProvider(base_url=settings.elevenlabs_base_url, platform_key=key,
                                   agent_id=settings.elevenlabs_agent_id, vault=vault)


def build_transcriber(settings: Settings, vault: Vault) -> Transcriber | None:  # noqa: ARG001
    """ElevenLabs when its platform key is set (word timings, and no 25 MB cap), else OpenAI when
    its key is, else None (audio uploads are then refused as not configured). Only the platform
    keys: a transcription is a job with no user to hand, so a user's own key (the vault) is not
    consulted; ``vault`` keeps the builders' one signature."""
    if key := _platform_key(settings.elevenlabs_api_key):
        return ElevenLabsTranscriber(base_url=settings.elevenlabs_base_url, api_key=key,
                                     model=settings.elevenlabs_stt_model,
                                     timeout_seconds=settings.transcription_timeout_seconds)
    if key := _platform_key(settings.openai_api_key):
        return OpenAITranscriber(api_key=key, base_url=settings.openai_base_url,
                                 model=settings.openai_transcription_model,
                                 timeout_seconds=settings.transcription_timeout_seconds)
    return None


def _platform_key(secret: SecretStr | None) -> str | None:
    return (secret.get_secret_value().strip() or None) if secret is not None else None
