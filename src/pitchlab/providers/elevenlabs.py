"""The ElevenLabs Conversational AI relay: our client on one side, a hosted ElevenLabs agent on
the other, one event loop in between.

Upstream is opened through a signed URL (``get-signed-url`` with ``xi-api-key``), then told the
prospect through ``conversation_config_override`` (prompt, first message) and dynamic variables.
The relay answers upstream pings itself (same ``event_id``), drops audio that an interruption made
stale, forwards audio in both directions as raw text without re-encoding it, and turns any
abnormal upstream close into a ProviderFailure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Mapping
from typing import Any
from uuid import UUID

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from pitchlab.metrics import provider_call
from pitchlab.models import User
from pitchlab.providers import elevenlabs_protocol as protocol
from pitchlab.providers.prospect import ProspectBrief
from pitchlab.providers.voice import (
    LocalProspectConversation,
    Outgoing,
    ProviderFailure,
    VoiceConversation,
)
from pitchlab.security.vault import Vault, key_for

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
# The closing handshake takes one round trip; an agent that has stopped reading (say, because
# we stopped reading it when our own client stalled) would hold close() for good.
CLOSE_TIMEOUT = 2.0
MAX_FRAME = 16 * 1024 * 1024


class ElevenLabsRelay:
    def __init__(self, *, base_url: str, api_key: str, agent_id: str, prospect: ProspectBrief,
                 session_id: UUID, http: httpx.AsyncClient, tls: ssl.SSLContext) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.tls = tls
        self._api_key = api_key
        self.agent_id = agent_id
        self.prospect = prospect
        self.session_id = session_id
        self.upstream: ClientConnection | None = None
        self.last_interruption = -1
        self._early: list[str | bytes] = []

    async def start(self, initiation: protocol.Message) -> Mapping[str, Any]:
        signed_url = await self._signed_url()
        try:
            self.upstream = await connect(
                signed_url, max_size=MAX_FRAME, open_timeout=CONNECT_TIMEOUT, compression=None,
                ssl=self.tls if signed_url.startswith("wss://") else None,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise _unreachable(exc) from None
        await self.upstream.send(protocol.encode(self._initiation(initiation)))
        return await self._await_metadata()

    async def _signed_url(self) -> str:
        async with provider_call("elevenlabs"):  # a refusal counts as an error too
            try:
                response = await self.http.get(
                    f"{self.base_url}{protocol.SIGNED_URL_PATH}",
                    params={"agent_id": self.agent_id},
                    headers={protocol.API_KEY_HEADER: self._api_key},
                )
            except httpx.HTTPError as exc:
                raise _unreachable(exc) from None
            if response.status_code != 200:
                raise ProviderFailure(
                    f"the voice provider refused the call ({response.status_code})")
        return protocol.SignedUrlOut.model_validate_json(response.content).signed_url

    def _initiation(self, client_initiation: protocol.Message) -> protocol.ClientInitiation:
        persona = self.prospect.persona
        return protocol.client_initiation(
            prompt=self.prospect.agent_prompt(), first_message=persona.opening_line,
            language=self.prospect.language,
            text_only=protocol.wants_text_only(client_initiation),
            dynamic_variables={"prospect_name": persona.name, "prospect_title": persona.title,
                               "prospect_company": persona.company,
                               "scenario": self.prospect.scenario_id,
                               "session_id": str(self.session_id)},
        )

    async def _await_metadata(self) -> Mapping[str, Any]:
        assert self.upstream is not None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                async for raw in self.upstream:
                    metadata = protocol.metadata_in(protocol.parse_agent_frame(raw))
                    if metadata is not None:
                        return metadata
                    self._early.append(raw)  # anything before the metadata waits its turn
        except TimeoutError:
            raise ProviderFailure("the voice provider did not answer in time") from None
        except ConnectionClosed as closed:
            raise _failure(closed) from None
        raise ProviderFailure("the voice provider hung up before the call began")

    async def send(self, message: protocol.Message | None, raw: str) -> None:
        if self.upstream is None:
            return
        if message is not None and protocol.kind(message) not in protocol.FORWARDED_CLIENT_TYPES:
            return
        with contextlib.suppress(ConnectionClosed):  # events() reports the close
            await self.upstream.send(raw)

    async def events(self) -> AsyncIterator[Outgoing]:
        assert self.upstream is not None
        early, self._early = self._early, []
        try:
            for raw in early:
                if (event := await self._relay(raw)) is not None:
                    yield event
            async for raw in self.upstream:
                if (event := await self._relay(raw)) is not None:
                    yield event
        except ConnectionClosed as closed:
            raise _failure(closed) from None
        code = self.upstream.close_code
        if code not in (1000, None):
            log.warning("voice provider closed the call with %s", code)
            raise ProviderFailure(f"the voice provider ended the call ({code})", code)

    async def _relay(self, raw: str | bytes) -> Outgoing | None:
        assert self.upstream is not None
        message = protocol.parse_agent_frame(raw)
        if (audio_id := protocol.audio_event_id(message)) is not None:
            if audio_id <= self.last_interruption:
                return None  # interrupted: the client must not play it
            return raw if isinstance(raw, str) else raw.decode()
        if (ping_id := protocol.ping_event_id(message)) is not None:
            await self.upstream.send(protocol.encode(protocol.pong(ping_id)))
            return None
        if (interruption_id := protocol.interruption_event_id(message)) is not None:
            self.last_interruption = interruption_id
        elif protocol.kind(message) == "error":
            log.warning("voice provider error: %s", protocol.error_type_in(message))
        return message

    async def close(self) -> None:
        if self.upstream is None:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.upstream.close()
        except TimeoutError:
            self.upstream.transport.abort()


def _unreachable(exc: Exception) -> ProviderFailure:
    return ProviderFailure(f"could not reach the voice provider: {type(exc).__name__}")


def _failure(closed: ConnectionClosed) -> ProviderFailure:
    """An upstream close, with the code the agent sent (1006, none received, in the reason)."""
    code = closed.rcvd.code if closed.rcvd else None
    shown = code if closed.rcvd else 1006
    return ProviderFailure(f"the voice provider ended the call ({shown})", code)


class ElevenLabsVoiceProvider:
    """Relays to ElevenLabs with the user's own key when they stored one, else the platform key;
    without a key or an agent it falls back to the offline prospect."""

    def __init__(self, *, base_url: str, platform_key: str | None, agent_id: str | None,
                 vault: Vault) -> None:
        self.base_url = base_url
        self._platform_key = platform_key
        self.agent_id = agent_id
        self.vault = vault
        # One client and one TLS context for every call: building a TLS context reads the CA
        # bundle, tens of milliseconds that would otherwise stall the event loop at each call.
        self.tls = ssl.create_default_context()
        self.http = httpx.AsyncClient(timeout=CONNECT_TIMEOUT, verify=self.tls)

    def open(self, *, prospect: ProspectBrief, session_id: UUID, rep_lines_so_far: list[str],
             user: User) -> VoiceConversation:
        key = key_for(self.vault, user, "elevenlabs", self._platform_key)
        if key is None or self.agent_id is None:
            return LocalProspectConversation(prospect, str(session_id), rep_lines_so_far)
        return ElevenLabsRelay(base_url=self.base_url, api_key=key, agent_id=self.agent_id,
                               prospect=prospect, session_id=session_id, http=self.http,
                               tls=self.tls)

    async def aclose(self) -> None:
        await self.http.aclose()
