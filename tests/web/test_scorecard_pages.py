"""The admin's scorecard pages: in Chromium (from a template, renamed, a weight changed: version
2), and over HTTP (reps refused, bad criteria shown again with nothing stored, no CSRF token)."""

from __future__ import annotations

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, invited_member, unique_email
from tests.factories import confirmed_account
from tests.web.accessibility import assert_accessible
from tests.web.conftest import shoot
from tests.web.helpers import browser_client, fits_a_phone, form_post, log_in, signed_in_browser


def _stored(owner_url, scorecard_id: str) -> tuple:
    """The scorecard's name, version and number of stored versions."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        name, version = conn.execute("SELECT name, version FROM scorecards WHERE id = %s",
                                     (scorecard_id,)).fetchone()
        versions = conn.execute("SELECT count(*) FROM scorecard_versions WHERE scorecard_id = %s",
                                (scorecard_id,)).fetchone()[0]
    return name, version, versions


async def _checked(page, name: str) -> None:
    await shoot(page, name)
    await assert_accessible(page)
    await fits_a_phone(page)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_an_admin_starts_from_meddic_renames_it_and_changes_a_weight(page, app):
    email = unique_email("scorecards")
    await confirmed_account(app, email=email, password=PASSWORD, name="Ada Admin")
    await log_in(page, email)
    await page.goto("/admin/team")
    await page.get_by_role("link", name="Scorecards").click()
    await page.get_by_role("heading", name="Admin: scorecards").wait_for()
    await page.get_by_text("No scorecards yet.").wait_for()
    await _checked(page, "list-empty")

    await page.get_by_label("Template", exact=True).select_option("meddic")
    await page.get_by_label("Name (optional)").fill("Enterprise MEDDIC")
    await page.get_by_role("button", name="Create from template").click()
    await page.get_by_text("The scorecard is created.").wait_for()
    assert "Version 1" in await page.locator("#scorecard-version").inner_text()
    await _checked(page, "edit")

    await page.get_by_label("Scorecard name").fill("Enterprise MEDDIC (Q4)")
    first = page.locator("fieldset", has=page.get_by_text("Criterion 1", exact=True))
    await first.get_by_label("Weight").fill("7.5")
    await page.get_by_role("button", name="Save scorecard").click()
    await page.get_by_text("The scorecard is saved.").wait_for()
    assert "Version 2" in await page.locator("#scorecard-version").inner_text()
    assert await first.get_by_label("Weight").input_value() == "7.5"
    await page.get_by_role("heading", name="Enterprise MEDDIC (Q4)").wait_for()
    await _checked(page, "edited")

    await page.get_by_role("link", name="All scorecards").click()
    row = page.locator("tr", has_text="Enterprise MEDDIC (Q4)")
    await row.wait_for()
    assert "MEDDIC" in await row.inner_text()
    await _checked(page, "list")

    await page.get_by_role("link", name="New scorecard").click()
    await page.get_by_role("heading", name="Admin: new scorecard").wait_for()
    await page.get_by_label("Scorecard name").fill("Discovery basics")
    await page.get_by_label("Name", exact=True).fill("Open questions")
    await page.get_by_label("Weight").fill("2")
    await page.get_by_label("At 1").fill("Only yes/no questions.")
    await page.get_by_label("At 3").fill("Some open questions.")
    await _checked(page, "new")
    await page.get_by_role("button", name="Create scorecard").click()  # "At 5" left blank
    await page.locator("#f-c0-a5-error").wait_for()
    assert "Criterion 1, At 5" in await page.locator("#f-c0-a5-error").inner_text()
    first = page.locator("fieldset", has=page.get_by_text("Criterion 1", exact=True))
    assert await first.get_by_label("Name", exact=True).input_value() == "Open questions"
    await page.get_by_role("group", name="Add a criterion").wait_for()
    await _checked(page, "new-refused")
    await first.get_by_label("At 5").fill("Open questions that uncover the pain.")
    await page.get_by_role("button", name="Create scorecard").click()
    await page.get_by_text("The scorecard is created.").wait_for()
    assert "Custom" in await page.locator("#scorecard-version").inner_text()


async def _from_template(admin) -> str:
    created = await form_post(admin, "/admin/scorecards", "/admin/scorecards",
                              {"template": "bant", "name": ""})
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert location.startswith("/admin/scorecards/") and location.endswith("?done=created")
    return location.split("/")[-1].split("?")[0]


async def test_a_stranger_logs_in_and_a_rep_is_refused_every_scorecard_page(app, client, owner_url):
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        scorecard_id = await _from_template(admin)
        rep = await invited_member(client, owner_url, admin_email, "user")
    pages = ("/admin/scorecards", "/admin/scorecards/new", f"/admin/scorecards/{scorecard_id}")
    async with browser_client(app) as anonymous:
        for path in pages:
            response = await anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")
    async with browser_client(app) as browser:
        posted = await form_post(browser, "/login", "/login",
                                 {"email": rep["email"], "password": PASSWORD,
                                  "next": "/settings"})
        assert posted.status_code == 303
        for path in pages:
            response = await browser.get(path)
            assert response.status_code == 403, path
            assert "Not allowed" in response.text
        renamed = await form_post(browser, "/settings", f"/admin/scorecards/{scorecard_id}",
                                  {"name": "Rep's own"})
        assert renamed.status_code == 403
        made = await form_post(browser, "/settings", "/admin/scorecards",
                               {"template": "spin"})
        assert made.status_code == 403
    assert _stored(owner_url, scorecard_id) == ("BANT", 1, 1)


async def test_bad_criteria_show_the_form_again_and_store_nothing(app, owner_url):
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        scorecard_id = await _from_template(admin)
        page = f"/admin/scorecards/{scorecard_id}"
        shown = await admin.get(page)
        assert shown.status_code == 200 and "Version 1" in shown.text
        before = _stored(owner_url, scorecard_id)
        refused = await form_post(admin, page, page, {
            "name": "Renamed", "c0-id": "budget", "c0-name": "Budget", "c0-weight": "2",
            "c0-description": "", "c0-a1": "   ", "c0-a3": "Asks", "c0-a5": "Confirms",
        })
        assert refused.status_code == 422
        assert "Please correct the fields marked below." in refused.text
        assert 'value="Renamed"' in refused.text  # the form as typed
        assert 'id="f-c0-a1" name="c0-a1"' in refused.text
        assert "Criterion 1, At 1: String should have at least 1 character" in refused.text
        assert 'aria-errormessage="f-c0-a1-error" aria-describedby="f-c0-a1-error"' in refused.text
        assert _stored(owner_url, scorecard_id) == before

        unknown = await form_post(admin, page, page, {
            "name": "Renamed", "c0-id": "not-a-criterion", "c0-name": "Budget",
            "c0-weight": "2", "c0-a1": "a", "c0-a3": "b", "c0-a5": "c",
        })
        assert unknown.status_code == 422 and "leave `id` out for a new criterion" in unknown.text
        assert _stored(owner_url, scorecard_id) == before

        blank_new = await form_post(admin, "/admin/scorecards/new", "/admin/scorecards/new",
                                    {"name": "Nothing", "c0-name": ""})
        assert blank_new.status_code == 422

        token_less = await admin.post(page, data={"name": "Forged"},
                                      headers={"origin": "https://testserver"})
        assert token_less.status_code == 403
        assert _stored(owner_url, scorecard_id) == before



async def test_a_criterion_is_removed_and_one_added_as_the_next_version(app, owner_url):
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        scorecard_id = await _from_template(admin)
        page = f"/admin/scorecards/{scorecard_id}"
        shown = (await admin.get(page)).text
        assert "Remove this criterion" in shown and "Add a criterion" in shown
        row = {"c0-name": "Budget", "c0-weight": "1", "c0-a1": "a", "c0-a3": "b", "c0-a5": "c",
               "c0-remove": "on",
               "c1-name": "Rapport", "c1-weight": "2", "c1-a1": "x", "c1-a3": "y", "c1-a5": "z",
               "c2-name": "", "c2-weight": ""}
        saved = await form_post(admin, page, page, {"name": "Two rows", **row})
        assert saved.status_code == 303
        after = (await admin.get(page)).text
        assert "Version 2" in after and 'value="Rapport"' in after
        assert 'value="Budget"' not in after
    assert _stored(owner_url, scorecard_id) == ("Two rows", 2, 2)


async def test_the_new_form_needs_a_name(app):
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        refused = await form_post(admin, "/admin/scorecards/new", "/admin/scorecards/new", {
            "name": "", "c0-name": "Pain", "c0-weight": "1", "c0-a1": "a", "c0-a3": "b",
            "c0-a5": "c"})
        assert refused.status_code == 422
        assert 'value="Pain"' in refused.text


async def test_another_companys_scorecard_is_not_found_and_unchanged(app, owner_url):
    async with browser_client(app) as other:
        await signed_in_browser(other, app)
        theirs = await _from_template(other)
    before = _stored(owner_url, theirs)
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        shown = await admin.get(f"/admin/scorecards/{theirs}")
        assert shown.status_code == 404 and "BANT" not in shown.text
        posted = await form_post(admin, "/admin/scorecards", f"/admin/scorecards/{theirs}", {
            "name": "Taken over", "c0-name": "Budget", "c0-weight": "1", "c0-a1": "a",
            "c0-a3": "b", "c0-a5": "c"})
        assert posted.status_code == 404
        assert "Taken over" not in (await admin.get("/admin/scorecards")).text
    assert _stored(owner_url, theirs) == before
