"""Every page of the web app as a signed-in admin and as an operator sees it, in Chromium: no
WCAG 2.1 A/AA violation (axe-core) at desktop size and at 390x844, where it must not scroll
sideways either. A new page is added to ``PAGES`` the day it lands."""

from __future__ import annotations

from pathlib import Path

from tests.auth.helpers import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    PASSWORD,
    bearer,
    drain_jobs,
    signed_in_operator,
    signed_up,
)
from tests.practice.helpers import finished_text_call, start
from tests.web.accessibility import assert_accessible
from tests.web.helpers import fits_a_phone, log_in

RECORDINGS = Path(__file__).parents[1] / "recordings" / "samples"
DESKTOP = {"width": 1280, "height": 900}
PAGES = ("/practice", "/history", "/history/{finished}", "/practice/calls/{live}", "/settings",
         "/settings/delete", "/admin/team", "/admin/usage", "/admin/audit", "/admin/billing",
         "/progress", "/leaderboard", "/admin/analytics", "/admin/scenarios",
         "/admin/scenarios/new", "/admin/scenarios/discovery-busy-vp", "/admin/assignments",
         "/assignments", "/recordings", "/recordings/{recording}")
OPERATOR_PAGES = ("/operator/companies",)


async def _checked(page, path: str) -> None:
    await page.set_viewport_size(DESKTOP)
    response = await page.goto(path)
    assert response is not None and response.status == 200, (path, response and response.status)
    await assert_accessible(page)
    await fits_a_phone(page)
    await assert_accessible(page)


async def test_every_signed_in_page_passes_axe_on_desktop_and_phone(page, client, app,
                                                                    owner_url):
    admin = await signed_up(client, app, owner_url)
    finished = await finished_text_call(client, app, admin, "What slows your team down?",
                                        "How do you measure that today?")
    live = (await start(client, admin, mode="text"))["id"]
    recording = await _waiting_for_its_speaker(client, app, admin)
    await log_in(page, admin["email"], PASSWORD)
    for path in PAGES:
        await _checked(page, path.format(finished=finished, live=live, recording=recording))


async def _waiting_for_its_speaker(client, app, tokens) -> str:
    """A meeting transcript uploaded: its page has the speaker form (the most it shows)."""
    uploaded = await client.post("/api/recordings", headers=bearer(tokens), files={
        "file": ("call.vtt", (RECORDINGS / "zoom_three_speakers.vtt").read_bytes())})
    assert uploaded.status_code == 202, uploaded.text
    await drain_jobs(app)
    return uploaded.json()["id"]


async def test_the_operators_pages_pass_axe_on_desktop_and_phone(page, client, owner_url,
                                                                 monkeypatch, tmp_path):
    assert (await signed_in_operator(client, owner_url, monkeypatch, tmp_path)).status_code == 200
    await page.goto("/login")
    await page.get_by_label("Email").fill(OPERATOR_EMAIL)
    await page.get_by_label("Password").fill(OPERATOR_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/practice")
    for path in OPERATOR_PAGES:
        await _checked(page, path)
