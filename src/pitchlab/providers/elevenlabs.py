"""The ElevenLabs Conversational AI relay: our client on one side, a hosted ElevenLabs agent on
the other, one event loop in between.

Upstream is opened through a signed URL (``get-signed-url`` with ``xi-api-key``), then told the
scenario through ``conversation_config_override`` (prompt, first message) and dynamic variables.
The relay answers upstream pings itself (same ``event_id``), drops audio that an interruption made
stale, forwards audio in both directions as raw text without re-encoding it, and turns any
abnormal upstream close into a ProviderFailure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from pitchlab.practice.scenarios import Scenario
from pitchlab.providers.voice import LocalProspectConversation, ProviderFailure, VoiceConversation
from pitchlab.security.vault import Vault, key_for

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
# The closing handshake takes one round trip; an agent that has stopped reading (say, because
# we stopped reading it when our own client stalled) would hold close() for good.
CLOSE_TIMEOUT = 2.0
MAX_FRAME = 16 * 1024 * 1024
# what a client may send on to the agent; everything else stays with us
FORWARDED_CLIENT_TYPES = {"user_message", "user_activity", "contextual_update", "client_tool_result"}


def _wants_text_only(initiation: dict[str, Any]) -> bool:
    override = initiation.get("conversation_config_override") or {}
    # The Python SDK puts it at the top of the override, the JS SDK under "conversation".
    return bool(override.get("text_only") or (override.get("conversation") or {}).get("text_only"))


class ElevenLabsRelay:
    def __init__(self, *, base_url: str, api_key: str, agent_id: str, scenario: Scenario,
                 session_id: UUID, http: httpx.AsyncClient, tls: ssl.SSLContext) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.tls = tls
        self._api_key = api_key
        self.agent_id = agent_id
        self.scenario = scenario
        self.session_id = session_id
        self.upstream: ClientConnection | None = None
        self.last_interruption = -1
        self._early: list[str | bytes] = []

    async def start(self, initiation: dict[str, Any]) -> dict[str, Any]:
        signed_url = await self._signed_url()
        try:
            self.upstream = await connect(
                signed_url, max_size=MAX_FRAME, open_timeout=CONNECT_TIMEOUT, compression=None,
                ssl=self.tls if signed_url.startswith("wss://") else None,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise ProviderFailure(f"could not reach the voice provider: {type(exc).__name__}") from None
        await self.upstream.send(json.dumps(self._initiation(initiation)))
        return await self._await_metadata()

    async def _signed_url(self) -> str:
        try:
            response = await self.http.get(
                f"{self.base_url}/v1/convai/conversation/get-signed-url",
                params={"agent_id": self.agent_id}, headers={"xi-api-key": self._api_key},
            )
        except httpx.HTTPError as exc:
            raise ProviderFailure(f"could not reach the voice provider: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise ProviderFailure(f"the voice provider refused the call ({response.status_code})")
        return response.json()["signed_url"]

    def _initiation(self, client_initiation: dict[str, Any]) -> dict[str, Any]:
        persona = self.scenario.persona
        override: dict[str, Any] = {
            "agent": {"prompt": {"prompt": self.scenario.agent_prompt()},
                      "first_message": persona.opening_line},
        }
        if _wants_text_only(client_initiation):
            override["conversation"] = {"text_only": True}
        return {
            "type": "conversation_initiation_client_data",
            "conversation_config_override": override,
            "dynamic_variables": {"prospect_name": persona.name, "prospect_title": persona.title,
                                  "prospect_company": persona.company,
                                  "scenario": self.scenario.id, "session_id": str(self.session_id)},
            "custom_llm_extra_body": {},
        }

    async def _await_metadata(self) -> dict[str, Any]:
        assert self.upstream is not None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                async for raw in self.upstream:
                    message = orjson.loads(raw)
                    if message.get("type") == "conversation_initiation_metadata":
                        return message["conversation_initiation_metadata_event"]
                    self._early.append(raw)  # anything before the metadata waits its turn
        except TimeoutError:
            raise ProviderFailure("the voice provider did not answer in time") from None
        except ConnectionClosed as closed:
            raise ProviderFailure(_closed_reason(closed), closed.rcvd.code if closed.rcvd else None) from None
        raise ProviderFailure("the voice provider hung up before the call began")

    async def send(self, message: dict[str, Any] | None, raw: str) -> None:
        if self.upstream is None:
            return
        if message is not None and message.get("type") not in FORWARDED_CLIENT_TYPES:
            return
        try:
            await self.upstream.send(raw)
        except ConnectionClosed:
            pass  # the provider side reports the close through events()

    async def events(self) -> AsyncIterator[dict[str, Any] | str]:
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
            raise ProviderFailure(_closed_reason(closed), closed.rcvd.code if closed.rcvd else None) from None
        code = self.upstream.close_code
        if code not in (1000, None):
            log.warning("voice provider closed the call with %s", code)
            raise ProviderFailure(f"the voice provider ended the call ({code})", code)

    async def _relay(self, raw: str | bytes) -> dict[str, Any] | str | None:
        message = orjson.loads(raw)
        kind = message.get("type")
        if kind == "audio":
            if int(message["audio_event"].get("event_id", 0)) <= self.last_interruption:
                return None  # interrupted: the client must not play it
            return raw if isinstance(raw, str) else raw.decode()
        if kind == "ping":
            event_id = message["ping_event"]["event_id"]
            await self.upstream.send(json.dumps({"type": "pong", "event_id": event_id}))
            return None
        if kind == "interruption":
            self.last_interruption = int(message["interruption_event"]["event_id"])
        elif kind == "error":
            log.warning("voice provider error: %s", (message.get("error_event") or {}).get("error_type"))
        return message

    async def close(self) -> None:
        if self.upstream is None:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.upstream.close()
        except TimeoutError:
            self.upstream.transport.abort()


def _closed_reason(closed: ConnectionClosed) -> str:
    code = closed.rcvd.code if closed.rcvd else 1006
    return f"the voice provider ended the call ({code})"


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

    def open(self, *, scenario: Scenario, session_id: Any, rep_lines_so_far: list[str],
             user: Any) -> VoiceConversation:
        key = key_for(self.vault, user, "elevenlabs", self._platform_key)
        if key is None or self.agent_id is None:
            return LocalProspectConversation(scenario, str(session_id), rep_lines_so_far)
        return ElevenLabsRelay(base_url=self.base_url, api_key=key, agent_id=self.agent_id,
                               scenario=scenario, session_id=session_id, http=self.http,
                               tls=self.tls)

    async def aclose(self) -> None:
        await self.http.aclose()
