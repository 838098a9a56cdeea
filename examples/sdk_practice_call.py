"""A practice call against a running Pitchlab with the official ElevenLabs Python SDK.

    uv run python examples/sdk_practice_call.py --email me@example.com

(`uv` as in the README: `python3 scripts/uv.py run python examples/...` works too.) The user must
have verified their email (`pitchlab outbox` shows the link); the password is asked for unless
given with --password. The script signs in, grants the voice-recording consent if it is missing,
starts a voice session, holds the call as text through the SDK's conversation client (no
microphone or speaker: nothing is recorded), ends it and waits for the feedback report.

The SDK needs only two things to talk to Pitchlab instead of ElevenLabs: `base_url` is the
server and `api_key` the user's access token; the "agent id" is the session's id. The SDK asks
`GET /v1/convai/conversation/get-signed-url` for the stream, as it would ask ElevenLabs.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time

import httpx
from elevenlabs.client import ElevenLabs
from elevenlabs.conversational_ai.conversation import AsyncConversation

REP_LINES = [
    "Hi Marcus, thanks for taking my call.",
    "What are your biggest challenges with getting new reps to quota?",
    "How do your managers coach calls today?",
    "That makes sense. Would you be open to a meeting next Thursday at 10am?",
]
CONSENT = {"kind": "voice_recording", "granted": True, "version": "v1"}
REPLY_TIMEOUT = 15  # seconds for the prospect's answer to one line


class ApiError(Exception):
    """An answer in Pitchlab's error envelope, shown as its code and message."""


def say(text: str = "") -> None:
    print(text, flush=True)  # flushed: progress shows at once when the output is piped


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="Pitchlab's base URL")
    parser.add_argument("--email", required=True, help="a verified user's email")
    parser.add_argument("--password", help="asked for when omitted")
    parser.add_argument("--scenario", default="discovery-busy-vp",
                        help="a scenario id from GET /api/scenarios")
    parser.add_argument("--feedback-timeout", type=float, default=120,
                        help="seconds to wait for the feedback report")
    return parser.parse_args(argv)


def checked(response: httpx.Response, *expected: int) -> dict:
    if response.status_code not in expected:
        try:
            error = response.json()["error"]
            message = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise ApiError(f"{response.request.method} {response.request.url.path} answered "
                       f"{response.status_code} ({message})")
    return response.json()


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> str:
    body = checked(await http.post("/api/auth/login",
                                   json={"email": email, "password": password}), 200)
    http.headers["Authorization"] = f"Bearer {body['access_token']}"
    return body["access_token"]


async def ensure_voice_consent(http: httpx.AsyncClient) -> None:
    """Voice sessions need a granted voice_recording consent (403 consent_required without)."""
    current = checked(await http.get("/api/users/me/consents"), 200)["items"]
    if any(c["kind"] == "voice_recording" and c["granted"] for c in current):
        return
    checked(await http.post("/api/users/me/consents", json=CONSENT), 201)
    say("Granted the voice_recording consent.")


async def hold_call(base_url: str, token: str, session_id: str) -> None:
    """The conversation itself, through the official SDK: the opening line, then each rep line
    and the prospect's answer to it."""
    replies: asyncio.Queue[str] = asyncio.Queue()

    async def on_agent_response(text: str) -> None:
        await replies.put(text)

    sdk = ElevenLabs(base_url=base_url, api_key=token)
    conversation = AsyncConversation(sdk, session_id, requires_auth=True,
                                     callback_agent_response=on_agent_response)
    await conversation.start_session()
    try:
        say(f"prospect: {await asyncio.wait_for(replies.get(), REPLY_TIMEOUT)}")
        for line in REP_LINES:
            say(f"rep:      {line}")
            await conversation.send_user_message(line)
            say(f"prospect: {await asyncio.wait_for(replies.get(), REPLY_TIMEOUT)}")
    finally:
        await conversation.end_session()
        await asyncio.wait_for(conversation.wait_for_session_end(), REPLY_TIMEOUT)


async def hold_call_or_cancel(http: httpx.AsyncClient, base_url: str, token: str,
                              session_id: str) -> None:
    try:
        await hold_call(base_url, token, session_id)
    except BaseException:
        # a call left in progress would refuse the next start (409 session_in_progress)
        await http.post(f"/api/sessions/{session_id}/end", json={"reason": "cancelled"})
        raise


async def wait_for_feedback(
    http: httpx.AsyncClient, session_id: str, patience_seconds: float
) -> dict:
    """The report is written by a job after the call ends: 202 while pending, then 200."""
    deadline = time.monotonic() + patience_seconds
    while True:
        response = await http.get(f"/api/sessions/{session_id}/feedback")
        body = checked(response, 200, 202)
        if response.status_code == 200:
            return body
        if time.monotonic() > deadline:
            raise ApiError(f"no feedback after {patience_seconds:.0f} s (is a worker running?)")
        await asyncio.sleep(0.5)


def show_feedback(feedback: dict) -> None:
    if feedback["status"] != "ready":
        say(f"Feedback failed: {feedback.get('error')}")
        return
    metrics = feedback["metrics"]
    say(f"Feedback (scored by {metrics.get('scored_by', '?')}):")
    say(f"Summary: {metrics['summary']}")
    for skill, scored in (metrics.get("skill_scores") or {}).items():
        say(f"  {skill}: {scored['score']}/5")
    for strength in metrics.get("strengths") or []:
        say(f"  + {strength}")
    for improvement in metrics.get("improvements") or []:
        say(f"  - {improvement}")


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    password = args.password or getpass.getpass(f"Password for {args.email}: ")
    base_url = args.url.rstrip("/")
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        try:
            token = await sign_in(http, args.email, password)
            await ensure_voice_consent(http)
            session = checked(await http.post("/api/sessions/start", json={
                "scenario_id": args.scenario, "mode": "voice"}), 201)
            say(f"Session {session['id']}: {session['scenario']['name']}")
            await hold_call_or_cancel(http, base_url, token, session["id"])
            ended = checked(await http.post(f"/api/sessions/{session['id']}/end"), 200)
            say(f"Call ended: {ended['duration_seconds']} s, {ended['minutes_billed']} minute(s)"
                f" billed; feedback {ended['feedback_status']}")
            show_feedback(await wait_for_feedback(http, session["id"], args.feedback_timeout))
        except (ApiError, TimeoutError) as error:
            print(f"error: {error or 'the prospect did not answer in time'}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
