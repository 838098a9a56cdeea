"""call.js against a scripted stream (Playwright's WebSocket routing stands in for the server):
the protocol as the page speaks it, and what the page says when the stream closes with a code."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from tests.auth.helpers import PASSWORD, unique_email
from tests.factories import confirmed_account
from tests.practice.helpers import eventually
from tests.web.conftest import shoot
from tests.web.helpers import log_in

CALL_URL = re.compile(r".*/practice/calls/([0-9a-f-]{36})$")


class ScriptedStream:
    """The server's side of one stream: what the page sent, and a way to talk back."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.route = None
        self.opened = asyncio.Event()

    async def accept(self, route) -> None:
        self.route = route
        self.url = route.url
        route.on_message(self._from_page)
        self.opened.set()

    def _from_page(self, message) -> None:
        self.received.append(json.loads(message))
        if self.received[-1].get("type") == "conversation_initiation_client_data":
            self.send({"type": "conversation_initiation_metadata",
                       "conversation_initiation_metadata_event": {
                           "conversation_id": "conv_scripted",
                           "agent_output_audio_format": "pcm_16000",
                           "user_input_audio_format": "pcm_16000"}})

    def send(self, message: dict) -> None:
        self.route.send(json.dumps(message))

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.received if m.get("type") == kind]


async def _voice_call_page(page, app, client, stream: ScriptedStream) -> None:
    email = unique_email("scripted")
    await confirmed_account(app, email=email, password=PASSWORD)
    login = (await client.post("/api/auth/login",
                               json={"email": email, "password": PASSWORD})).json()
    granted = await client.post("/api/users/me/consents", json={
        "kind": "voice_recording", "granted": True, "version": "v1"},
        headers={"Authorization": f"Bearer {login['access_token']}"})
    assert granted.status_code == 201
    await page.route_web_socket(re.compile(r".*/api/sessions/.*/stream\?ticket=.*"),
                                stream.accept)
    await log_in(page, email)
    await page.locator("#scenario-price-objection").get_by_role(
        "button", name="Start voice call").click()
    await page.wait_for_url(CALL_URL)
    await asyncio.wait_for(stream.opened.wait(), 15)
    await page.get_by_text("Connected").wait_for()


async def test_the_page_speaks_the_stream_protocol(page, app, client):
    stream = ScriptedStream()
    await _voice_call_page(page, app, client, stream)
    assert "/api/sessions/" in stream.url and "ticket=" in stream.url
    [initiation] = stream.of_type("conversation_initiation_client_data")
    assert stream.received[0] is initiation  # the client speaks first

    stream.send({"type": "ping", "ping_event": {"event_id": 77, "ping_ms": 20}})
    await eventually(lambda: stream.of_type("pong"), within=10)
    assert stream.of_type("pong") == [{"type": "pong", "event_id": 77}]

    await eventually(lambda: any("user_audio_chunk" in m for m in stream.received), within=10)
    audio = next(m for m in stream.received if "user_audio_chunk" in m)
    assert set(audio) == {"user_audio_chunk"}  # no type field, base64 pcm_16000

    transcript = page.locator("#transcript")
    stream.send({"type": "user_transcript",
                 "user_transcription_event": {"user_transcript": "Is <b>price</b> the issue?"}})
    stream.send({"type": "agent_response", "agent_response_event": {
        "agent_response": "Honestly, the number is high for our whole team", "event_id": 3}})
    stream.send({"type": "interruption", "interruption_event": {"event_id": 3}})
    stream.send({"type": "agent_response_correction", "agent_response_correction_event": {
        "original_agent_response": "Honestly, the number is high for our whole team",
        "corrected_agent_response": "Honestly, the number", "event_id": 3}})
    stream.send({"type": "session_status", "minutes_remaining": 42, "seconds_elapsed": 125,
                 "minutes_billed": 3})
    stream.send({"type": "some_future_type", "whatever": 1})  # ignored
    await transcript.locator(".turn.rep", has_text="Is <b>price</b> the issue?").wait_for()
    await transcript.locator(".turn.prospect .said").get_by_text(
        "Honestly, the number", exact=True).wait_for()
    assert await page.locator("#minutes-left").inner_text() == "42"
    await page.wait_for_function(
        "() => document.getElementById('timer').textContent.startsWith('2:0')")
    assert await page.locator("#call").get_attribute("data-last-interruption") == "3"


@pytest.mark.parametrize(("code", "says"), [
    (4402, "no practice minutes left"),
    (4401, "Reload the page to reconnect"),
    (4404, "not in progress"),
    (1011, "voice service failed"),
    (1000, "The call has ended"),
])
async def test_a_closed_stream_is_explained(page, app, client, code, says):
    stream = ScriptedStream()
    await _voice_call_page(page, app, client, stream)
    await stream.route.close(code=code, reason="scripted")
    await page.locator("#call-status").get_by_text(says).wait_for()
    if code == 4402:
        assert await page.locator("#minutes-left").inner_text() == "0"
        await shoot(page, "stream-closed-quota")
