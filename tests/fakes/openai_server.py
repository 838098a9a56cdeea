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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])

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
