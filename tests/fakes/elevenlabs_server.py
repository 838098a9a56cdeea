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

Speech-to-text (Scribe): ``POST /v1/speech-to-text`` checks ``xi-api-key`` and the multipart form
as the service does (``model_id`` a ``scribe_*`` model, exactly one ``file``, the enumerated
fields), records what arrived in ``uploads`` (fields, filename, content type, size, SHA-256) and
answers ``stt_words`` (the vendor's ``words[]``, see ``scribe_words``) in ``stt_language``, with
``audio_duration_secs`` when ``stt_duration`` is set. Each request takes the next behaviour from
``stt_script`` (default "valid"): a status as a string ("401", "422", "429", "503", ...) answers
that status with the vendor's error body, "malformed" answers JSON that is no transcription, and
"hang" answers nothing until ``released`` is set (the test's teardown).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
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
    stt_words: list[dict] = field(default_factory=list)
    stt_language: str = "eng"
    stt_duration: float | None = None
    stt_script: list[str] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    _event_id: int = 0

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/speech-to-text", self._speech_to_text, methods=["POST"]),
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

    async def _speech_to_text(self, request: Request) -> JSONResponse:
        key = request.headers.get("xi-api-key", "")
        self.keys_seen.append(key)
        if key != self.api_key:
            # The worst a vendor may say: a message quoting the key it was given.
            return _scribe_error(401, "invalid_api_key", f"Invalid API key: {key}")
        upload = await received_upload(request)
        if (invalid := _invalid_scribe_form(upload)) is not None:
            return invalid
        self.uploads.append(upload)
        behaviour = self.stt_script.pop(0) if self.stt_script else "valid"
        if behaviour == "hang":
            await self.released.wait()
            return _scribe_error(503, "system_busy", "The test is over.")
        if behaviour == "malformed":
            return JSONResponse({"language_code": "eng", "words": "not a list"})
        if behaviour.isdigit():
            return _scribed_status(int(behaviour), key)
        return JSONResponse(self._transcription())

    def _transcription(self) -> dict:
        answer = {"language_code": self.stt_language, "language_probability": 0.97,
                  "text": "".join(word["text"] for word in self.stt_words),
                  "words": self.stt_words, "transcription_id": uuid.uuid4().hex}
        if self.stt_duration is not None:
            answer["audio_duration_secs"] = self.stt_duration
        return answer


@dataclass(frozen=True)
class Upload:
    """A multipart request as a fake vendor received it: its text fields and its one file."""

    fields: dict[str, str]
    files: int
    filename: str | None = None
    content_type: str | None = None
    size: int = 0
    sha256: str = ""


async def received_upload(request: Request) -> Upload:
    """Read a multipart body as the vendors do, the file in chunks (Starlette spools it to disk
    past 1 MiB), counting and hashing it."""
    async with request.form() as form:
        fields = {name: value for name, value in form.multi_items() if isinstance(value, str)}
        files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if len(files) != 1 or files[0].filename is None:
            return Upload(fields=fields, files=len(files))
        digest, size = hashlib.sha256(), 0
        while chunk := await files[0].read(64 * 1024):
            digest.update(chunk)
            size += len(chunk)
        return Upload(fields=fields, files=1, filename=files[0].filename,
                      content_type=files[0].content_type, size=size, sha256=digest.hexdigest())


_SCRIBE_CHOICES = {"diarize": ("true", "false"), "tag_audio_events": ("true", "false"),
                   "timestamps_granularity": ("none", "word", "character")}


def _invalid_scribe_form(upload: Upload) -> JSONResponse | None:
    """The validation error the service answers (FastAPI's 422 shape), or None."""
    problems = []
    if upload.files != 1:
        problems.append((["body", "file"], "Exactly one of file or source_url must be given"))
    if not upload.fields.get("model_id", "").startswith("scribe_"):
        problems.append((["body", "model_id"], "Unsupported model_id"))
    for name, choices in _SCRIBE_CHOICES.items():
        if name in upload.fields and upload.fields[name] not in choices:
            problems.append((["body", name], f"Input should be one of {choices}"))
    if not problems:
        return None
    return JSONResponse({"detail": [{"loc": loc, "msg": msg, "type": "value_error"}
                                    for loc, msg in problems]}, status_code=422)


_SCRIBE_STATUSES = {400: "invalid_request", 401: "quota_exceeded", 403: "missing_permissions",
                    408: "request_timeout", 409: "conflict", 413: "file_too_large",
                    429: "too_many_concurrent_requests", 500: "internal_error",
                    503: "system_busy"}


def _scribed_status(status: int, key: str) -> JSONResponse:
    if status == 422:
        return JSONResponse({"detail": [{"loc": ["body", "file"], "msg": "Could not decode the "
                                         f"audio sent with key {key}", "type": "value_error"}]},
                            status_code=422)
    code = _SCRIBE_STATUSES.get(status, "error")
    return _scribe_error(status, code, f"Scripted {code} for the request with key {key}")


def _scribe_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"detail": {"status": code, "message": message}}, status_code=status)


def scribe_words(spoken: Sequence[tuple[str, str, float, float]]) -> list[dict]:
    """Scribe's ``words[]`` for ``(speaker_id, word, start, end)`` tuples: each word, with a
    spacing item between two words (the speaker's who spoke before it, as the service labels
    it, spanning the pause)."""
    words: list[dict] = []
    for speaker, text, start, end in spoken:
        if words:
            before = words[-1]
            words.append({"text": " ", "start": before["end"], "end": start, "type": "spacing",
                          "speaker_id": before["speaker_id"], "logprob": 0.0})
        words.append({"text": text, "start": start, "end": end, "type": "word",
                      "speaker_id": speaker, "logprob": -0.05})
    return words
