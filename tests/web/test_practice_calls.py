"""Practice calls in Chromium: a voice call relayed to the fake ElevenLabs server (the fake
microphone plays tests/data/speech_16k.wav), and a text call with the offline prospect."""

from __future__ import annotations

import base64
import dataclasses
import re
from array import array

import pytest

from pitchlab.app import create_app
from pitchlab.deps import context_of, install_context
from tests.auth.helpers import PASSWORD, drain_jobs, unique_email
from tests.conftest import make_settings
from tests.factories import confirmed_account
from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.http_server import running, serve_asgi
from tests.practice.helpers import rep
from tests.web.conftest import browser_page, shoot
from tests.web.helpers import log_in


async def the_report_appears(page, app, screenshot: str) -> None:
    """After "End call": the call's page says its feedback is on the way, and once the worker
    has run, the report replaces that on the same page (htmx), charts and skills included."""
    await page.get_by_role("heading", name="Feedback").wait_for()
    await drain_jobs(app)
    await page.get_by_role("heading", name="Skill scores").wait_for()
    assert await page.locator("#feedback svg[role=img]").count() >= 4
    await shoot(page, screenshot)

PLATFORM_KEY = "xi-platform-key-web-000"
AGENT = "agent_web_practice"
HEARD = "Hi Priya, I am calling about the proposal we sent."
CALL_URL = re.compile(r".*/practice/calls/([0-9a-f-]{36})$")
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def relayed(owner_url, tmp_path):
    """An app relaying voice calls to a fake ElevenLabs that, once it has heard five audio
    chunks (half a second), transcribes the rep and answers; its stream URLs point at it."""
    fake = FakeElevenLabs(api_key=PLATFORM_KEY, agent_id=AGENT, transcribe_after=5, heard=HEARD)
    async with serve_asgi(fake.app()) as fake_url:
        fake.base_url = fake_url
        settings = make_settings(owner_url, tmp_path, elevenlabs_api_key=PLATFORM_KEY,
                                 elevenlabs_agent_id=AGENT, elevenlabs_base_url=fake_url)
        app = create_app(settings)
        async with running(app) as (client, base):
            context = context_of(app)
            install_context(app, dataclasses.replace(context, settings=context.settings.model_copy(
                update={"public_url": base})))
            yield app, client, base, fake


@pytest.fixture
async def relayed_page(browser, relayed):
    _app, _client, base, _fake = relayed
    async with browser_page(browser, base) as page:
        yield page


async def test_a_voice_call_reaches_the_relay_shows_its_transcript_and_ends(
        relayed, relayed_page, owner_url):
    app, client, _base, fake = relayed
    page = relayed_page
    tokens = await rep(client, app, owner_url)  # with its voice-recording consent
    await log_in(page, tokens["email"], PASSWORD)
    await page.get_by_text("minutes of practice left").wait_for()
    await shoot(page, "practice")
    await page.set_viewport_size(PHONE)
    await shoot(page, "practice-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})

    card = page.locator("#scenario-price-objection")
    await card.get_by_role("button", name="Start voice call").click()
    await page.wait_for_url(CALL_URL)
    call_id = CALL_URL.match(page.url).group(1)
    await page.get_by_role("heading", name="Price objection").wait_for()

    transcript = page.locator("#transcript")
    # the agent's first message, then what the fake heard of the microphone, and its answer
    await transcript.get_by_text("Thanks for sending the proposal").wait_for()
    await transcript.locator(".turn.rep", has_text=HEARD).wait_for()
    await transcript.locator(".turn.prospect", has_text=f"I heard: {HEARD}").wait_for()
    assert await transcript.get_attribute("aria-live") == "polite"
    assert fake.audio_chunks >= 5  # the microphone's audio reached ElevenLabs
    # the fake echoes it as the agent's audio, which the playback worklet plays
    await page.wait_for_function(
        "() => document.getElementById('call').dataset.prospectSpeaking === 'true'")
    chunks = [m["user_audio_chunk"] for m in fake.received if "user_audio_chunk" in m]
    assert all(len(chunk) == len(chunks[0]) for chunk in chunks[:5])  # 100 ms of pcm_16000
    assert len(chunks[0]) == 4268  # base64 of 1600 16-bit samples
    loudest = max(max(abs(v) for v in array("h", base64.b64decode(c))) for c in chunks)
    assert loudest > 1000, loudest  # the wav's voice, not silence
    assert fake.initiations and "Priya Nair" in (
        fake.initiations[0]["conversation_config_override"]["agent"]["prompt"]["prompt"])
    await page.get_by_text("Connected").wait_for()
    assert await page.locator("#minutes-left").inner_text() == "59"
    # sound allowed without a gesture here (--autoplay-policy): no button asks for it
    assert not await page.get_by_role("button", name="Turn on sound and microphone").is_visible()
    await shoot(page, "voice-call")
    await page.set_viewport_size(PHONE)
    await shoot(page, "voice-call-phone")

    # a reload gets a fresh single-use ticket: the call reconnects and keeps what was said
    opened_before = len(fake.initiations)
    await page.reload()
    await page.get_by_text("Connected").wait_for()
    assert len(fake.initiations) == opened_before + 1
    await transcript.locator(".turn.rep", has_text=HEARD).first.wait_for()

    await page.get_by_role("button", name="End call").click()
    await page.wait_for_url(f"**/history/{call_id}")
    ended = (await client.get(f"/api/sessions/{call_id}",
                              headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
    assert ended["status"] == "completed"
    await the_report_appears(page, app, "voice-report")


async def test_an_interruption_is_honoured_and_the_cut_reply_corrected(
        relayed, relayed_page, owner_url):
    app, client, _base, fake = relayed
    fake.transcribe_after, fake.interrupt_after = None, 3
    page = relayed_page
    tokens = await rep(client, app, owner_url)
    await log_in(page, tokens["email"], PASSWORD)
    await page.locator("#scenario-price-objection").get_by_role(
        "button", name="Start voice call").click()
    await page.wait_for_url(CALL_URL)
    call = page.locator("#call")
    # the rep's voice (echoed by the fake) is played back: the prospect "speaks"
    await page.wait_for_function("() => document.getElementById('call').dataset.lastInterruption")
    prospect = page.locator("#transcript .turn.prospect .said")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#transcript .turn.prospect .said')]"
        ".some(e => e.textContent === 'Let me tell you')")
    assert "long history" not in " ".join(await prospect.all_inner_texts())
    assert int(await call.get_attribute("data-last-interruption")) > 0
    await shoot(page, "voice-call-interrupted")


async def test_a_stream_closed_with_an_error_code_is_explained_on_the_call_page(
        relayed, relayed_page, owner_url):
    app, client, _base, _fake = relayed
    page = relayed_page
    tokens = await rep(client, app, owner_url)
    await log_in(page, tokens["email"], PASSWORD)
    await page.locator("#scenario-inbound-lead").get_by_role(
        "button", name="Start voice call").click()
    await page.wait_for_url(CALL_URL)
    await page.get_by_text("Connected").wait_for()
    # consent withdrawn mid-call (elsewhere): the server closes the stream with 4403
    withdrawn = await client.post("/api/users/me/consents",
                                  headers={"Authorization": f"Bearer {tokens['access_token']}"},
                                  json={"kind": "voice_recording", "granted": False,
                                        "version": "v1"})
    assert withdrawn.status_code == 201
    await page.get_by_text("Voice calls need your consent to voice recording").wait_for()
    assert "problem" in (await page.locator("#call-status").get_attribute("class") or "")
    await shoot(page, "voice-call-closed")


async def test_a_text_call_with_the_offline_prospect(page, app):
    email = unique_email("text")
    await confirmed_account(app, email=email, password=PASSWORD)
    await log_in(page, email)
    await page.locator("#scenario-discovery-busy-vp").get_by_role(
        "button", name="Start text call").click()
    await page.wait_for_url(CALL_URL)
    call_id = CALL_URL.match(page.url).group(1)
    transcript = page.locator("#transcript")
    box = page.get_by_label("Your turn")

    await box.fill("Hi Marcus, what is slowing your team down this quarter?")
    await page.get_by_role("button", name="Send").click()
    await transcript.locator(".turn.rep").first.wait_for()
    assert await transcript.locator(".turn.prospect").count() == 2  # opening line and reply
    assert await box.input_value() == ""

    await box.fill("   ")  # passes "required", not the API's rule: refused, shown, not said
    await box.press("Enter")
    await page.get_by_role("alert").get_by_text("must not be blank").wait_for()
    assert await transcript.locator(".turn").count() == 3

    await box.fill("How do you measure that today?")
    await box.press("Enter")  # Enter sends
    await transcript.locator(".turn.rep", has_text="How do you measure that today?").wait_for()
    await page.wait_for_function(
        "() => document.querySelectorAll('#transcript .turn.prospect').length === 3")
    assert not await page.get_by_role("alert").is_visible()  # the refusal is cleared
    assert await page.locator("#minutes-left").inner_text() == "59"
    await shoot(page, "text-call")
    await page.set_viewport_size(PHONE)
    await shoot(page, "text-call-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})

    # a second call while this one is live: the page says so, and leads back to this one
    await page.goto("/practice")
    await page.locator("#scenario-inbound-lead").get_by_role(
        "button", name="Start text call").click()
    refusal = page.get_by_role("alert")
    await refusal.get_by_text("already have a practice call in progress").wait_for()
    await shoot(page, "second-call-refused")
    await page.get_by_role("link", name="Return to your call").click()
    await page.wait_for_url(f"**/practice/calls/{call_id}")
    assert await transcript.locator(".turn").count() == 5

    await page.get_by_role("button", name="End call").click()
    await page.wait_for_url(f"**/history/{call_id}")
    await the_report_appears(page, app, "text-report")
