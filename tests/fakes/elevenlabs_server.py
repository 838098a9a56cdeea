"""A local ElevenLabs Conversational AI server, faithful to the protocol as the SDKs see it:
``GET /v1/convai/conversation/get-signed-url`` (``xi-api-key``), then a WebSocket that expects
``conversation_initiation_client_data`` first, answers with one metadata message, sends audio
frames (``audio_event`` with ``event_id``), pings with event ids and waits for the pongs,
interrupts, transcribes, corrects, and closes with the codes the real service uses.

What it does is driven by the rep's text, so a test can script a call:
``__interrupt__``, ``__ping__``, ``__close_1002__`` / ``__close_1008__`` / ``__close_1011__``,
``__end__`` (close 1000), ``__say <text>`` (the rep "said" it: a user_transcript). Audio chunks
are echoed back as agent audio with a fresh event id. With ``transcribe_after`` set, once a
conversation has received that many audio chunks the fake "hears" ``heard`` (a user_transcript)
and answers it (an agent_response), as the real service does after speech; once per
conversation. With ``interrupt_after`` set, the same number of chunks makes it play an
interruption (as ``__interrupt__`` does): the rep talked over the agent.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


@dataclass
class FakeElevenLabs:
    api_key: str
    agent_id: str
    initiations: list[dict] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    pongs: list[int] = field(default_factory=list)
    keys_seen: list[str] = field(default_factory=list)
    client_closed: asyncio.Event = field(default_factory=asyncio.Event)
    pong_received: asyncio.Event = field(default_factory=asyncio.Event)
    base_url: str = ""
    transcribe_after: int | None = None
    interrupt_after: int | None = None
    heard: str = "Hello, I am calling about your renewal."
    audio_chunks: int = 0
    _event_id: int = 0

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/convai/conversation/get-signed-url", self._signed_url),
            WebSocketRoute("/v1/convai/conversation", self._conversation),
        ])

    def _next_id(self) -> int:
        self._event_id += 1
        return self._event_id

    async def _signed_url(self, request: Request) -> JSONResponse:
        key = request.headers.get("xi-api-key", "")
        self.keys_seen.append(key)
        if key != self.api_key:
            return JSONResponse({"detail": {"status": "invalid_api_key"}}, status_code=401)
        if request.query_params.get("agent_id") != self.agent_id:
            return JSONResponse({"detail": {"status": "agent_not_found"}}, status_code=404)
        ws_base = self.base_url.replace("http://", "ws://")
        return JSONResponse({"signed_url": f"{ws_base}/v1/convai/conversation"
                                           f"?agent_id={self.agent_id}"
                                           f"&conversation_signature={uuid.uuid4().hex}"})

    async def _conversation(self, ws: WebSocket) -> None:
        await ws.accept()
        try:
            first = json.loads(await ws.receive_text())
            if first.get("type") != "conversation_initiation_client_data":
                await ws.close(1008, "expected conversation_initiation_client_data")
                return
            self.initiations.append(first)
            await ws.send_json({"type": "conversation_initiation_metadata",
                                "conversation_initiation_metadata_event": {
                                    "conversation_id": f"conv_{uuid.uuid4().hex[:12]}",
                                    "agent_output_audio_format": "pcm_16000",
                                    "user_input_audio_format": "pcm_16000"}})
            first_message = first["conversation_config_override"]["agent"]["first_message"]
            await self._agent_says(ws, first_message)
            chunks = 0
            while True:
                message = json.loads(await ws.receive_text())
                self.received.append(message)
                if "user_audio_chunk" in message:
                    chunks += 1
                    self.audio_chunks += 1
                if await self._handle(ws, message) == "closed":
                    return
                if chunks == self.transcribe_after:
                    await self._heard(ws, self.heard)
                if chunks == self.interrupt_after:
                    await self._interrupt(ws)
        except WebSocketDisconnect:
            self.client_closed.set()

    async def _agent_says(self, ws: WebSocket, text: str) -> None:
        await ws.send_json({"type": "agent_response",
                            "agent_response_event": {"agent_response": text,
                                                     "event_id": self._next_id()}})

    @staticmethod
    async def _audio(ws: WebSocket, audio_base_64: str, event_id: int) -> None:
        await ws.send_json({"type": "audio", "audio_event": {
            "audio_base_64": audio_base_64, "event_id": event_id}})

    async def _handle(self, ws: WebSocket, message: dict) -> str | None:
        if "user_audio_chunk" in message:
            await self._audio(ws, message["user_audio_chunk"], self._next_id())
            return None
        if message.get("type") == "pong":
            self.pongs.append(message["event_id"])
            self.pong_received.set()
            return None
        if message.get("type") != "user_message":
            return None
        text = message["text"]
        if text.startswith("__close_"):
            code = int(text.removeprefix("__close_").strip("_"))
            await ws.send_json({"type": "error", "error_event": {
                "code": code, "error_type": "llm_error", "message": "upstream failure"}})
            await ws.close(code)
            return "closed"
        if text == "__end__":
            await ws.close(1000)
            return "closed"
        if text == "__ping__":
            await ws.send_json({"type": "ping", "ping_event": {"event_id": 4242, "ping_ms": None}})
            return None
        if text == "__interrupt__":
            await self._interrupt(ws)
            return None
        if text.startswith("__say "):
            await self._heard(ws, text.removeprefix("__say "))
            return None
        await self._agent_says(ws, f"You said: {text}")
        return None

    async def _heard(self, ws: WebSocket, spoken: str) -> None:
        """The rep said ``spoken``: its transcript, and the agent's answer."""
        await ws.send_json({"type": "user_transcript", "user_transcription_event": {
            "user_transcript": spoken, "event_id": self._next_id()}})
        await self._agent_says(ws, f"I heard: {spoken}")

    async def _interrupt(self, ws: WebSocket) -> None:
        """The agent talks, the rep cuts in: audio before the interruption that arrives after it
        is stale and must not reach the rep; the cut-off reply is corrected."""
        stale = self._next_id()
        await self._agent_says(ws, "Let me tell you all about our long history of")
        await self._audio(ws, "c3RhbGU=", stale)
        cut = self._next_id()
        await ws.send_json({"type": "interruption", "interruption_event": {"event_id": cut}})
        await self._audio(ws, "bGF0ZQ==", stale)
        await ws.send_json({
            "type": "agent_response_correction",
            "agent_response_correction_event": {
                "original_agent_response": "Let me tell you all about our long history of",
                "corrected_agent_response": "Let me tell you", "event_id": cut}})
        await self._audio(ws, "ZnJlc2g=", self._next_id())
