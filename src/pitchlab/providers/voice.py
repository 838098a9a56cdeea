"""Voice conversations: the Protocol the stream talks to, and its offline adapter.

A conversation receives the client's protocol messages and produces protocol messages for the
client, in the ElevenLabs Conversational AI shapes (elevenlabs_protocol.py).
``LocalProspectConversation`` plays the brief's persona in text with no vendor at all;
``ElevenLabsRelay`` (elevenlabs.py) forwards to a hosted ElevenLabs agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol
from uuid import UUID

from pitchlab.models import User
from pitchlab.providers import elevenlabs_protocol as protocol
from pitchlab.providers.prospect import Prospect, ProspectBrief, replay

# What a conversation gives the client: a message to encode, or raw JSON text to pass on untouched.
Outgoing = Mapping[str, Any] | str


class ProviderFailure(Exception):
    """The provider broke the call (timeout, protocol or internal error)."""

    def __init__(self, message: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.close_code = close_code


class VoiceConversation(Protocol):
    async def start(self, initiation: protocol.Message) -> Mapping[str, Any]:
        """Open the conversation; return the metadata event's fields (conversation_id, formats)."""
        ...

    async def send(self, message: protocol.Message | None, raw: str) -> None:
        """A client message, parsed (None for an audio chunk, passed on raw)."""
        ...

    def events(self) -> AsyncIterator[Outgoing]:
        """Messages for the client. Ends when the provider ends the call; raises
        ProviderFailure when it breaks it."""
        ...

    async def close(self) -> None: ...


class LocalProspectConversation:
    """The offline prospect behind the protocol: ``user_message`` in, ``agent_response`` out.

    Audio needs a speech recogniser, which the offline provider does not have: audio chunks are
    accepted and ignored, and the client is told once.
    """

    def __init__(self, brief: ProspectBrief, conversation_id: str,
                 rep_lines_so_far: list[str]) -> None:
        self.conversation_id = conversation_id
        self.prospect: Prospect = replay(brief, rep_lines_so_far)
        self.resumed = bool(rep_lines_so_far)
        self.queue: asyncio.Queue[Outgoing | None] = asyncio.Queue()
        self.event_id = 0
        self.told_about_audio = False

    async def start(
        self, initiation: protocol.Message,  # noqa: ARG002 (nothing in it changes the prospect)
    ) -> Mapping[str, Any]:
        if not self.resumed:
            self._say(self.prospect.opening())
        return protocol.metadata_event(self.conversation_id)

    async def send(
        self, message: protocol.Message | None, raw: str,  # noqa: ARG002 (read parsed only)
    ) -> None:
        if message is None:
            if not self.told_about_audio:
                self.told_about_audio = True
                await self.queue.put(protocol.audio_not_supported())
            return
        text = protocol.text_of(message)
        if protocol.kind(message) == protocol.USER_MESSAGE and isinstance(text, str):
            self._say(self.prospect.reply(text))

    def _say(self, text: str) -> None:
        self.event_id += 1
        self.queue.put_nowait(protocol.agent_response(text, self.event_id))

    async def events(self) -> AsyncIterator[Outgoing]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def close(self) -> None:
        self.queue.put_nowait(None)


class VoiceProvider(Protocol):
    def open(self, *, prospect: ProspectBrief, session_id: UUID, rep_lines_so_far: list[str],
             user: User) -> VoiceConversation: ...

    async def aclose(self) -> None: ...


class OfflineVoiceProvider:
    """No vendor: every call is with the local prospect."""

    async def aclose(self) -> None:
        pass

    def open(
        self, *, prospect: ProspectBrief, session_id: UUID, rep_lines_so_far: list[str],
        user: User,  # noqa: ARG002 (VoiceProvider's signature: no key to look up offline)
    ) -> VoiceConversation:
        return LocalProspectConversation(prospect, str(session_id), rep_lines_so_far)
