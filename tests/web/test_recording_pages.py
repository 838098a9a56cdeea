"""The real-call pages: in Chromium (a three-speaker Zoom transcript uploaded through the form,
the rep's speaker chosen on the page, the call's report opened from it; every page passes axe
and fits a phone), and over HTTP (a wrong-type file, a missing, wrong or late CSRF token, an
unknown speaker, another user's recording, a signed-out visitor, deletion with the file)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from pitchlab.database_setup import libpq_dsn
from pitchlab.recordings.schemas import RecordingOut
from pitchlab.web.recordings import status_words
from tests.auth.helpers import PASSWORD, drain_jobs, invited_member, signed_up
from tests.web.accessibility import assert_accessible
from tests.web.conftest import shoot
from tests.web.helpers import browser_client, csrf_of, fits_a_phone, form_post, log_in

SAMPLES = Path(__file__).parents[1] / "recordings" / "samples"
ZOOM = SAMPLES / "zoom_three_speakers.vtt"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
ORIGIN = {"origin": "https://testserver"}
CHUNK = 64 * 1024
REPORT_LINK = "Open the call\u2019s report"
RECORDING_URL = re.compile(r"/recordings/([0-9a-f-]{36})$")


def recordings_of(owner_url, email: str) -> list[tuple]:
    """(id, title, status, storage_key) of the user's recordings, oldest first."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT r.id::text, r.title, r.status, r.storage_key FROM recordings r"
            " JOIN users u ON u.id = r.user_id WHERE u.email = %s ORDER BY r.created_at",
            (email,)).fetchall()


def files_in(settings) -> list[Path]:
    folder = settings.data_dir / "recordings"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def signed_in(client, email: str) -> None:
    response = await form_post(client, "/login", "/login",
                               {"email": email, "password": PASSWORD, "next": "/recordings"})
    assert response.status_code == 303, response.text


async def upload(client, content: bytes, name: str, token: str | None = None,
                 **fields: str):
    """POST /recordings as the page's form does: the token (this page's unless given) and
    the fields first, then the file."""
    if token is None:
        token = csrf_of((await client.get("/recordings")).text)
    return await client.post("/recordings", data={"csrf_token": token, **fields},
                             files={"file": (name, content)}, headers=ORIGIN)


async def _checked(page, name: str) -> None:
    await assert_accessible(page)
    await fits_a_phone(page)
    await assert_accessible(page)
    await shoot(page, name)
    await page.set_viewport_size({"width": 1280, "height": 900})


# ------------------------------------------------------------------------------ in Chromium


async def test_a_zoom_transcript_uploaded_chosen_and_opened_in_the_browser(page, client, app,
                                                                          owner_url):
    rep = await signed_up(client, app, owner_url)
    await log_in(page, rep["email"])
    await page.get_by_role("link", name="Real calls", exact=True).click()
    await page.get_by_role("heading", name="Real calls", exact=True).wait_for()
    await page.get_by_text("No real calls yet").wait_for()
    await _checked(page, "list-empty")

    await page.get_by_label("Recording or transcript").set_input_files(str(ZOOM))
    await page.get_by_label("Title (optional)").fill("Acme discovery")
    await page.get_by_label("Language (optional)").select_option(label="English")
    await page.get_by_role("button", name="Upload").click()
    await page.wait_for_url(RECORDING_URL)
    await page.get_by_role("heading", name="Acme discovery").wait_for()
    assert "Being transcribed" in await page.locator("#recording-status").inner_text()
    await _checked(page, "processing")

    await drain_jobs(app)  # the recording's job: it waits for the rep's speaker
    await page.reload()
    await page.get_by_role("group", name="Which speaker is you?").wait_for()
    assert "Choose which speaker is you" in await page.locator("#recording-status").inner_text()
    await _checked(page, "needs-speaker")
    await page.get_by_role("button", name="This is me").click()  # none chosen: shown again
    await page.locator("#f-rep_speaker-error").wait_for()
    await page.get_by_role("radio", name="Priya Raman").check()
    await page.get_by_role("button", name="This is me").click()
    await page.get_by_text("the call is being scored").wait_for()

    await drain_jobs(app)  # the feedback job the call queued
    await page.reload()
    assert (await page.locator("#recording-status").inner_text()).strip() == "Ready"
    await page.get_by_text("Its feedback is ready.").wait_for()
    await _checked(page, "ready")
    await page.get_by_role("link", name="Real calls", exact=True).click()
    row = page.locator("tr", has_text="Acme discovery")
    assert "Transcript" in await row.inner_text() and "Ready" in await row.inner_text()
    await _checked(page, "list")
    await row.get_by_role("link", name="Acme discovery").click()
    await page.get_by_role("link", name=REPORT_LINK).click()
    await page.wait_for_url("**/history/*")
    await page.get_by_role("heading", name="Transcript").wait_for()
    assert "Great. So, what made you look at" in await page.locator(".turns").inner_text()


# ------------------------------------------------------------------------------ over HTTP


async def test_a_file_of_the_wrong_type_is_refused_by_its_bytes_and_stores_nothing(
        client, app, owner_url, settings):
    rep = await signed_up(client, app, owner_url)
    before = files_in(settings)
    async with browser_client(app) as browser:
        await signed_in(browser, rep["email"])
        refused = await upload(browser, PNG, "call.vtt", title="Not a call")
    assert refused.status_code == 415
    assert "not a recording or transcript Pitchlab reads" in refused.text
    assert 'enctype="multipart/form-data"' in refused.text  # the form, shown again
    assert recordings_of(owner_url, rep["email"]) == []
    assert files_in(settings) == before


async def test_an_upload_without_this_pages_token_ahead_of_the_file_stores_nothing(
        client, app, owner_url, settings):
    rep = await signed_up(client, app, owner_url)
    content = ZOOM.read_bytes()
    before = files_in(settings)
    async with browser_client(app) as other:  # another browser's token
        await signed_in(other, (await invited_member(client, owner_url, rep["email"]))["email"])
        foreign = csrf_of((await other.get("/recordings")).text)
    async with browser_client(app) as browser:
        await signed_in(browser, rep["email"])
        token = csrf_of((await browser.get("/recordings")).text)
        missing = await browser.post("/recordings", files={"file": ("z.vtt", content)},
                                     headers=ORIGIN)
        wrong = await upload(browser, content, "z.vtt", token="0" * 64)
        theirs = await upload(browser, content, "z.vtt", token=foreign)
        cross_site = await browser.post("/recordings", data={"csrf_token": token},
                                        files={"file": ("z.vtt", content)},
                                        headers={"origin": "https://evil.example"})
        # the right token, but after the file: refused before the file is read
        late = await browser.post("/recordings", files=[
            ("file", ("z.vtt", content, "text/vtt")),
            ("csrf_token", (None, token.encode()))], headers=ORIGIN)
        as_urlencoded = await browser.post("/recordings", data={"title": "x"}, headers=ORIGIN)
    for response in (missing, wrong, theirs, cross_site, late, as_urlencoded):
        assert response.status_code == 403, response.text
        assert "did not come from Pitchlab" in response.text
    assert recordings_of(owner_url, rep["email"]) == []
    assert files_in(settings) == before


async def test_a_transcript_naming_the_rep_is_ready_and_deleted_with_its_file(
        client, app, owner_url, settings):
    rep = await signed_up(client, app, owner_url)
    async with browser_client(app) as browser:
        await signed_in(browser, rep["email"])
        unknown = await upload(browser, ZOOM.read_bytes(), "q3.vtt", rep_speaker="Nobody")
        assert unknown.status_code == 422 and "No speaker of this recording" in unknown.text
        assert recordings_of(owner_url, rep["email"]) == []
        accepted = await upload(browser, ZOOM.read_bytes(), "q3.vtt", rep_speaker="Priya Raman",
                                language="en")
        assert accepted.status_code == 303, accepted.text
        [(recording_id, title, _, key)] = recordings_of(owner_url, rep["email"])
        assert accepted.headers["location"] == f"/recordings/{recording_id}" and title == "q3"
        await drain_jobs(app)
        await drain_jobs(app)
        shown = await browser.get(f"/recordings/{recording_id}")
        assert REPORT_LINK in shown.text and "Its feedback is ready." in shown.text
        listed = await browser.get("/recordings")
        assert f'href="/recordings/{recording_id}"' in listed.text and "Ready" in listed.text
        again = await form_post(browser, f"/recordings/{recording_id}",
                                f"/recordings/{recording_id}/speaker",
                                {"rep_speaker": "Dana Kim"})
        assert again.status_code == 422 and "not waiting for its rep" in again.text
        deleted = await form_post(browser, f"/recordings/{recording_id}",
                                  f"/recordings/{recording_id}/delete", {})
        assert deleted.status_code == 303
        assert deleted.headers["location"] == "/recordings?done=deleted"
        after = await browser.get(deleted.headers["location"])
        assert "The recording is deleted." in after.text and "q3" not in after.text
    assert recordings_of(owner_url, rep["email"]) == []
    assert not any(key in str(path) for path in files_in(settings))


async def test_the_form_offers_the_companys_scorecards_and_grades_on_the_one_chosen(
        client, app, owner_url):
    rep = await signed_up(client, app, owner_url)
    async with browser_client(app) as browser:
        await signed_in(browser, rep["email"])
        assert 'name="scorecard_id"' not in (await browser.get("/recordings")).text  # none yet
        made = await form_post(browser, "/admin/scorecards", "/admin/scorecards",
                               {"template": "bant", "name": "Q4 BANT"})
        assert made.status_code == 303
        scorecard_id = made.headers["location"].split("/")[-1].split("?")[0]
        page = (await browser.get("/recordings")).text
        assert f'<option value="{scorecard_id}">Q4 BANT</option>' in page
        accepted = await upload(browser, ZOOM.read_bytes(), "q4.vtt", rep_speaker="Priya Raman",
                                scorecard_id=scorecard_id)
        assert accepted.status_code == 303, accepted.text
    await drain_jobs(app)
    await drain_jobs(app)
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        graded = conn.execute("SELECT f.metrics -> 'scorecard' ->> 'name' FROM feedback f"
                              " JOIN recordings r ON r.session_id = f.session_id").fetchall()
    assert graded == [("Q4 BANT",)]


async def test_another_users_recording_is_not_found_and_a_stranger_logs_in(client, app,
                                                                          owner_url):
    owner = await signed_up(client, app, owner_url)
    colleague = await invited_member(client, owner_url, owner["email"])
    async with browser_client(app) as browser:
        await signed_in(browser, owner["email"])
        assert (await upload(browser, ZOOM.read_bytes(), "mine.vtt")).status_code == 303
    [(recording_id, *_)] = recordings_of(owner_url, owner["email"])
    await drain_jobs(app)
    path = f"/recordings/{recording_id}"
    async with browser_client(app) as browser:
        await signed_in(browser, colleague["email"])
        assert (await browser.get(path)).status_code == 404
        for action in ("/speaker", "/delete"):
            refused = await form_post(browser, "/recordings", path + action,
                                      {"rep_speaker": "Priya Raman"})
            assert refused.status_code == 404, action
        assert "mine" not in (await browser.get("/recordings")).text
    assert [row[2] for row in recordings_of(owner_url, owner["email"])] == ["needs_speaker"]
    async with browser_client(app) as stranger:
        for page in ("/recordings", path):
            response = await stranger.get(page)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=%2Frecordings")


async def test_a_large_upload_without_a_token_ahead_is_refused_unread(client, app, owner_url):
    """The CSRF check reads the fields ahead of the file, not the file: a 20 MB body whose
    file comes first is refused after its first chunks."""
    rep = await signed_up(client, app, owner_url)
    sent: list[int] = []

    async def body():
        yield (b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
               b"Content-Type: audio/wav\r\n\r\n")
        for _ in range(320):
            sent.append(CHUNK)
            yield b"\x00" * CHUNK
        yield b"\r\n--B--\r\n"

    async with browser_client(app) as browser:
        await signed_in(browser, rep["email"])
        response = await browser.post("/recordings", content=body(), headers={
            **ORIGIN, "content-type": "multipart/form-data; boundary=B"})
    assert response.status_code == 403
    assert sum(sent) < 1024 * 1024, sum(sent)
    assert recordings_of(owner_url, rep["email"]) == []


def test_a_status_reads_as_words_and_a_failure_gives_its_reason():
    def recording(status: str, failure: str | None = None) -> RecordingOut:
        return RecordingOut(id=uuid.uuid4(), title="t", kind="audio", status=status,
                            failure=failure, language=None, speakers=[], rep_speaker=None,
                            duration_seconds=None, session_id=None, feedback_status=None,
                            created_at=datetime.now(UTC))

    assert status_words(recording("processing")) == "Being transcribed"
    assert status_words(recording("needs_speaker")) == "Choose which speaker is you"
    assert status_words(recording("ready")) == "Ready"
    assert status_words(recording("failed", "Transcription failed: no speech was heard")) == (
        "Failed: Transcription failed: no speech was heard")
    assert status_words(recording("failed")) == "Failed"


async def test_a_token_that_is_no_ascii_or_a_boundary_too_long_is_refused_not_an_error(
        client, app, owner_url):
    rep = await signed_up(client, app, owner_url)
    async with browser_client(app) as anonymous:
        csrf_of((await anonymous.get("/login")).text)  # the cookie a browser would hold
        login = await anonymous.post("/login", headers=ORIGIN, data={
            "csrf_token": "\u00e9", "email": rep["email"], "password": PASSWORD})
        assert login.status_code == 403
    async with browser_client(app) as browser:
        await signed_in(browser, rep["email"])
        forged = await upload(browser, ZOOM.read_bytes(), "q3.vtt", token="\u00e9")
        assert forged.status_code == 403
        boundary = "b" * 300
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                f"x\r\n--{boundary}--\r\n").encode()
        too_long = await browser.post("/recordings", content=body, headers={
            **ORIGIN, "content-type": f"multipart/form-data; boundary={boundary}"})
        assert too_long.status_code == 422
    assert recordings_of(owner_url, rep["email"]) == []
