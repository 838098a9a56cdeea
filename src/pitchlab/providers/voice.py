"""Voice conversations: the Protocol the stream talks to, and its offline adapter.

A conversation receives the client's protocol messages and produces protocol messages for the
client, in the ElevenLabs Conversational AI shapes. ``LocalProspectConversation`` plays the
scenario's persona in text with no vendor at all; ``ElevenLabsRelay`` (relay.py) forwards to a
hosted ElevenLabs agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol

from pitchlab.practice.prospect import Prospect, replay
from pitchlab.practice.scenarios import Scenario

AUDIO_FORMAT = "pcm_16000"


class ProviderFailure(Exception):
    """The provider broke the call (timeout, protocol or internal error)."""

    def __init__(self, message: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.close_code = close_code


class VoiceConversation(Protocol):
    async def start(self, initiation: dict[str, Any]) -> dict[str, Any]:
        """Open the conversation; return the metadata event's fields (conversation_id, formats)."""
        ...

    async def send(self, message: dict[str, Any] | None, raw: str) -> None:
        """A client message, parsed (None for an audio chunk, passed on raw)."""
        ...

    def events(self) -> AsyncIterator[dict[str, Any] | str]:
        """Messages for the client: dicts, or raw JSON text to forward untouched. Ends when the
        provider ends the call; raises ProviderFailure when it breaks it."""
        ...

    async def close(self) -> None: ...


class LocalProspectConversation:
    """The offline prospect behind the protocol: ``user_message`` in, ``agent_response`` out.

    Audio needs a speech recogniser, which the offline provider does not have: audio chunks are
    accepted and ignored, and the client is told once.
    """

    def __init__(self, scenario: Scenario, conversation_id: str, rep_lines_so_far: list[str]) -> None:
        self.conversation_id = conversation_id
        self.prospect: Prospect = replay(scenario, rep_lines_so_far)
        self.resumed = bool(rep_lines_so_far)
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.event_id = 0
        self.told_about_audio = False

    async def start(self, initiation: dict[str, Any]) -> dict[str, Any]:
        if not self.resumed:
            self._say(self.prospect.opening())
        return {"conversation_id": self.conversation_id,
                "agent_output_audio_format": AUDIO_FORMAT, "user_input_audio_format": AUDIO_FORMAT}

    async def send(self, message: dict[str, Any] | None, raw: str) -> None:
        if message is None:
            if not self.told_about_audio:
                self.told_about_audio = True
                await self.queue.put({"type": "error", "error_event": {
                    "code": 1003, "error_type": "audio_not_supported",
                    "message": "The offline prospect talks in text: send user_message."}})
            return
        if message.get("type") == "user_message" and isinstance(message.get("text"), str):
            self._say(self.prospect.reply(message["text"]))

    def _say(self, text: str) -> None:
        self.event_id += 1
        self.queue.put_nowait({"type": "agent_response",
                               "agent_response_event": {"agent_response": text,
                                                        "event_id": self.event_id}})

    async def events(self) -> AsyncIterator[dict[str, Any] | str]:
        while (event := await self.queue.get()) is not None:
            yield event

    async def close(self) -> None:
        self.queue.put_nowait(None)


class VoiceProvider(Protocol):
    def open(self, *, scenario: Scenario, session_id: Any, rep_lines_so_far: list[str],
             user: Any) -> VoiceConversation: ...

    async def aclose(self) -> None: ...


class OfflineVoiceProvider:
    """No vendor: every call is with the local prospect."""

    async def aclose(self) -> None:
        pass

    def open(self, *, scenario: Scenario, session_id: Any, rep_lines_so_far: list[str],
             user: Any) -> VoiceConversation:
        return LocalProspectConversation(scenario, str(session_id), rep_lines_so_far)
