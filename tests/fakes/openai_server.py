"""A local stand-in for OpenAI's Chat Completions API (``POST /v1/chat/completions``), as the
official SDK calls it: bearer key, model, messages, ``response_format`` with a strict JSON schema.

Each request takes the next behaviour from ``script`` (default "valid"):
"valid" (scores with evidence quoted from the rep), "normalised" (the quotes with single
spaces, as a model retypes them), "invented" (plus quotes nobody said),
"unobserved" (objection handling not observed, and closing "scored" without a score and with a
quote), "malformed" (not the schema), "rate_limited" (429 with Retry-After), "server_error"
(500), "hang" (never answers, so the client times out).

A call with ``scorecard_criteria`` gets ``criteria_scores`` too: every criterion but the last
scored 3 with the last rep turn and an invented quote as evidence, the last left out (as JSON mode
may), and one id the scorecard lacks.

The answer's moments are ``moments`` when a test sets them, else one strength quoting the first
rep turn (by its index in the prompt). ``refuse_json_schema`` makes it a server without strict
structured output, as llama.cpp and vLLM builds are: a ``json_schema`` response_format gets a 400
naming it, ``{"type": "json_object"}`` is answered.

Transcription: ``POST /v1/audio/transcriptions`` (bearer key) checks the multipart form as the
service does (one ``file``, a ``model``; the diarizing model wants ``chunking_strategy`` and takes
no ``prompt``; ``diarized_json`` only from that model; a body over 25 MiB is a 413), records what
arrived in ``uploads`` and answers ``segments`` (see ``diarized_segments``) as ``diarized_json``,
or ``{"text"}`` for the other formats. Each request takes the next behaviour from
``transcription_script`` (default "valid"): a status as a string ("401", "429", ...), "malformed",
or "hang" (until ``released``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.elevenlabs_server import Upload, received_upload
from tests.fakes.http_server import serve_asgi

SKILLS = ("discovery", "objection_handling", "rapport", "value_articulation", "closing")
INVENTED = "We are the number one platform in the universe."


@dataclass
class FakeOpenAI:
    api_key: str
    script: list[str] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    keys_seen: list[str] = field(default_factory=list)
    # "hang" answers nothing until released (the test's teardown), long after the client gave up
    released: asyncio.Event = field(default_factory=asyncio.Event)
    request_received: asyncio.Event = field(default_factory=asyncio.Event)
    refuse_json_schema: bool = False
    moments: list[dict] | None = None
    segments: list[dict] = field(default_factory=list)
    transcription_script: list[str] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/chat/completions", self._complete, methods=["POST"]),
            Route("/v1/audio/transcriptions", self._transcribe, methods=["POST"]),
        ])

    async def _transcribe(self, request: Request) -> JSONResponse:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.keys_seen.append(key)
        if key != self.api_key:
            # OpenAI quotes the key it was given (masked there; here in full, the worst case).
            return _error(401, "invalid_api_key", f"Incorrect API key provided: {key}.")
        if int(request.headers.get("content-length", "0")) > MAX_TRANSCRIPTION_BYTES:
            return _error(413, "request_too_large", "Maximum content size limit (26214400) "
                          "exceeded.")
        upload = await received_upload(request)
        if (problem := _invalid_transcription_form(upload)) is not None:
            return _error(400, "invalid_value", problem)
        self.uploads.append(upload)
        behaviour = self.transcription_script.pop(0) if self.transcription_script else "valid"
        if behaviour == "hang":
            await self.released.wait()
            return _error(503, "released", "The test is over.")
        if behaviour == "malformed":
            return JSONResponse({"task": "transcribe", "segments": [{"speaker": "A"}]})
        if behaviour.isdigit():
            return _error(int(behaviour), "scripted", f"Scripted failure for key {key}.")
        return JSONResponse(self._transcription(upload.fields.get("response_format", "json")))

    def _transcription(self, response_format: str) -> dict:
        text = " ".join(segment["text"] for segment in self.segments)
        if response_format != "diarized_json":
            return {"text": text}
        duration = max((segment["end"] for segment in self.segments), default=0.0)
        return {"task": "transcribe", "duration": duration, "text": text,
                "segments": self.segments,
                "usage": {"type": "duration", "seconds": int(duration) + 1}}

    async def _complete(self, request: Request) -> JSONResponse:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.keys_seen.append(key)
        if key != self.api_key:
            return _error(401, "invalid_api_key", "Incorrect API key provided.")
        body = await request.json()
        self.requests.append(body)
        self.request_received.set()
        if self.refuse_json_schema and body.get("response_format", {}).get("type") == "json_schema":
            # llama.cpp's words; vLLM and others answer alike, naming the response_format
            return _error(400, "invalid_request_error", 'response_format type must be one of '
                          '"text" or "json_object", but got: json_schema')
        behaviour = self.script.pop(0) if self.script else "valid"
        if behaviour == "rate_limited":
            return _error(429, "rate_limit_exceeded", "Rate limit reached.", {"retry-after": "0"})
        if behaviour == "server_error":
            return _error(500, "server_error", "The server had an error.")
        if behaviour == "hang":
            await self.released.wait()
            return _error(503, "released", "The test is over.")
        content = self._answer(body, behaviour)
        return JSONResponse({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content, "refusal": None}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        })

    def _answer(self, body: dict, behaviour: str) -> str:
        if behaviour == "malformed":
            return '{"skill_scores": {"discovery": "great"}, "summary": 3'
        call = json.loads(body["messages"][-1]["content"])
        rep_turns = [t for t in call["turns"] if t["speaker"] == "rep"]
        rep = [t["text"] for t in rep_turns] or ["(silence)"]
        evidence = [rep[0]] + ([INVENTED] if behaviour == "invented" else [])
        if behaviour == "normalised":
            evidence = [" ".join(quote.split()) for quote in evidence]
        skills = {skill: {"score": 4, "status": "scored", "evidence": evidence} for skill in SKILLS}
        if behaviour == "unobserved":
            skills["objection_handling"] = {"score": None, "status": "not_observed", "evidence": []}
            skills["closing"] = {"score": None, "status": "scored", "evidence": evidence}
        moments = self.moments if self.moments is not None else [
            {"turn_index": turn["index"], "skill": "discovery", "kind": "strength",
             "quote": turn["text"], "why": "An open question about their team.",
             "try_instead": "Follow up on their answer."} for turn in rep_turns[:1]]
        answer = {
            "skill_scores": skills,
            "moments": moments,
            "summary": "A focused call. You listened well.",
            "strengths": ["Clear questions"],
            "improvements": ["Quantify the value"],
        }
        if call.get("scorecard_criteria"):
            answer["criteria_scores"] = {
                criterion["id"]: {"score": 3, "status": "scored", "evidence": [rep[-1], INVENTED]}
                for criterion in [*call["scorecard_criteria"][:-1], {"id": "not_on_the_card"}]}
        return json.dumps(answer)


MAX_TRANSCRIPTION_BYTES = 26_214_400
DIARIZE = "gpt-4o-transcribe-diarize"


def _invalid_transcription_form(upload: Upload) -> str | None:
    """What the service says of a form it refuses, or None."""
    fields = upload.fields
    if upload.files != 1:
        return "Expected exactly one file."
    if not fields.get("model"):
        return "you must provide a model parameter"
    if fields["model"] == DIARIZE:
        if "chunking_strategy" not in fields:
            return "chunking_strategy is required for diarization models"
        if "prompt" in fields:
            return "prompt is not supported with diarization models"
    elif fields.get("response_format") == "diarized_json":
        return f"response_format 'diarized_json' is not compatible with model '{fields['model']}'"
    return None


def diarized_segments(spoken: Sequence[tuple[str, str, float, float]]) -> list[dict]:
    """``diarized_json`` segments for ``(speaker, text, start, end)`` tuples."""
    return [{"id": f"seg_{i:03d}", "type": "transcript.text.segment", "speaker": speaker,
             "text": f" {text}", "start": start, "end": end}
            for i, (speaker, text, start, end) in enumerate(spoken)]


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": code, "param": None, "code": code}},
                        status_code=status, headers=headers)


@contextlib.asynccontextmanager
async def serving(api_key: str) -> AsyncIterator[tuple[FakeOpenAI, str]]:
    """A fake server running on 127.0.0.1: ``(fake, base_url)``, the base URL as the SDK takes
    it (ending in /v1). A request left hanging is released when the block ends."""
    fake = FakeOpenAI(api_key=api_key)
    async with serve_asgi(fake.app()) as base:
        try:
            yield fake, f"{base}/v1"
        finally:
            fake.released.set()
