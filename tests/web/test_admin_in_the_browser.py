"""An admin in Chromium: invites a rep who signs up through the emailed link in another
browser and shows up in the team list; the usage, audit and billing pages."""

from __future__ import annotations

from tests.auth.helpers import PASSWORD, unique_email
from tests.factories import confirmed_account
from tests.web.conftest import shoot
from tests.web.helpers import emailed_link, log_in


async def test_an_admin_invites_a_rep_who_signs_up_through_the_link(page, browser, web, app,
                                                                     owner_url):
    admin_email, rep_email = unique_email("admin"), unique_email("invitee")
    await confirmed_account(app, email=admin_email, password=PASSWORD, name="Ada Admin")
    await log_in(page, admin_email)
    await page.get_by_role("link", name="Admin").click()
    await page.get_by_role("heading", name="Admin: team").wait_for()
    await page.get_by_label("Email").fill(rep_email)
    await page.get_by_label("Role", exact=True).select_option("user")
    await page.get_by_role("button", name="Send invitation").click()
    await page.get_by_text("The invitation is on its way.").wait_for()
    await shoot(page, "team")

    link = await emailed_link(app, owner_url, rep_email, "invitation")
    assert "/signup?invite=" in link
    invitee = await browser.new_context(base_url=web)
    try:
        other = await invitee.new_page()
        await other.goto(link)
        await other.get_by_role("heading", name="Join your team").wait_for()
        assert await other.get_by_label("Company name").count() == 0
        await other.get_by_label("Your name").fill("Ivy Invitee")
        await other.get_by_label("Email").fill(rep_email)
        await other.get_by_label("Password").fill(PASSWORD)
        await other.get_by_role("button", name="Create account").click()
        await other.wait_for_url("**/signup/sent")
        await log_in(other, rep_email)
        await other.get_by_text("Hi Ivy Invitee").wait_for()
        assert await other.get_by_role("link", name="Admin").count() == 0
    finally:
        await invitee.close()

    await page.goto("/admin/team")
    row = page.locator("tr", has_text=rep_email)
    await row.wait_for()
    assert await row.get_by_label(f"Role of {rep_email}", exact=True).input_value() == "user"
    assert "Ivy Invitee" in await row.inner_text()

    await page.set_viewport_size({"width": 390, "height": 844})
    await shoot(page, "team-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})

    await page.get_by_role("link", name="Usage").click()
    await page.get_by_role("heading", name="Admin: usage").wait_for()
    await shoot(page, "usage")
    await page.get_by_role("link", name="Audit log").click()
    await page.get_by_role("heading", name="Admin: audit log").wait_for()
    await page.get_by_label("Action").select_option("invitation.created")
    await page.get_by_role("button", name="Filter").click()
    await page.get_by_role("cell", name="invitation.created").first.wait_for()
    await shoot(page, "audit")
    await page.get_by_role("link", name="Billing").click()
    await page.get_by_text("Billing is not configured on this server").wait_for()
    await shoot(page, "billing")
