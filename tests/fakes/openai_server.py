"""A local stand-in for OpenAI's Chat Completions API (``POST /v1/chat/completions``), as the
official SDK calls it: bearer key, model, messages, ``response_format`` with a strict JSON schema.

Each request takes the next behaviour from ``script`` (default "valid"):
"valid" (scores with evidence quoted from the rep), "invented" (plus quotes nobody said),
"unobserved" (objection handling not observed, and closing "scored" without a score and with a
quote), "malformed" (not the schema), "rate_limited" (429 with Retry-After), "server_error"
(500), "hang" (never answers, so the client times out).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

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
        rep = [t["text"] for t in call["turns"] if t["speaker"] == "rep"] or ["(silence)"]
        evidence = [rep[0]] + ([INVENTED] if behaviour == "invented" else [])
        skills = {skill: {"score": 4, "status": "scored", "evidence": evidence} for skill in SKILLS}
        if behaviour == "unobserved":
            skills["objection_handling"] = {"score": None, "status": "not_observed", "evidence": []}
            skills["closing"] = {"score": None, "status": "scored", "evidence": evidence}
        return json.dumps({
            "skill_scores": skills,
            "summary": "A focused call. You listened well.",
            "strengths": ["Clear questions"],
            "improvements": ["Quantify the value"],
        })


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": code, "param": None, "code": code}},
                        status_code=status, headers=headers)
