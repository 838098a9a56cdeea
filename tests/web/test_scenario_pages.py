"""The admin's scenario pages: in Chromium (a scenario written from scratch, refused once and
kept as typed, edited, copied from a built-in, archived) and over HTTP (reps and strangers
refused, bad fields shown on their field with nothing stored, built-ins and archived scenarios
read-only, another company's scenario not found, no CSRF token)."""

from __future__ import annotations

from tests.auth.helpers import PASSWORD, invited_member, unique_email
from tests.factories import confirmed_account
from tests.scenarios.helpers import scenario_body, stored_scenarios
from tests.web.accessibility import assert_accessible
from tests.web.conftest import shoot
from tests.web.helpers import browser_client, fits_a_phone, form_post, log_in, signed_in_browser

LIST = "/admin/scenarios"
NEW = "/admin/scenarios/new"


def _form(**changes: str) -> dict[str, str]:
    """scenario_body as the new/edit form posts it (lists one entry per line)."""
    body = scenario_body()
    persona = body["persona"]
    form = {
        "name": body["name"], "description": body["description"],
        "persona_name": persona["name"], "persona_title": persona["title"],
        "persona_personality": persona["personality"], "persona_company": persona["company"],
        "company_background": body["company_background"], "call_type": body["call_type"],
        "difficulty": body["difficulty"], "language": body["language"],
        "pains": "\n".join(body["pains"]), "objections": "\n".join(body["objections"]),
        "success_criteria": body["success_criteria"], "first_message": body["first_message"],
        "scorecard_id": "",
    }
    return {**form, **changes}


async def _checked(page, name: str) -> None:
    await shoot(page, name)
    await assert_accessible(page)
    await fits_a_phone(page)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def _created(admin, **changes: str) -> str:
    """A scenario made through the new-scenario form; its id."""
    made = await form_post(admin, NEW, NEW, _form(**changes))
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    assert location.endswith("?done=created")
    return location.split("/")[-1].split("?")[0]


async def test_an_admin_writes_a_scenario_edits_copies_and_archives_it(page, app):
    email = unique_email("scenarios")
    await confirmed_account(app, email=email, password=PASSWORD, name="Ada Admin")
    await log_in(page, email)
    await page.goto("/admin/team")
    await page.get_by_role("link", name="Scenarios").click()
    await page.get_by_role("heading", name="Admin: scenarios").wait_for()
    await page.get_by_text("None yet").wait_for()
    await _checked(page, "scenarios-empty")

    await page.get_by_role("link", name="New scenario").click()
    await page.get_by_role("heading", name="Admin: new scenario").wait_for()
    await page.get_by_label("Scenario name").fill("Renewal at Harbor Freight")
    await page.get_by_label("Call type").select_option("closing")
    await page.get_by_label("Difficulty").select_option("hard")
    await page.get_by_label("Name", exact=True).fill("Greta Holm")
    await page.get_by_label("Job title").fill("Head of Logistics")
    await page.get_by_label("Personality").fill("dry and numbers-driven")
    await page.get_by_label("First message").fill("Holm here, be quick.")
    eleven = "\n".join(f"pain number {n}" for n in range(1, 12))
    await page.get_by_label("Pains").fill(eleven)
    await page.get_by_label("Objections").fill("We signed with your rival.")
    await page.get_by_label("Success criteria").fill("ties the renewal to the tracking delay")
    await _checked(page, "scenario-new")
    await page.get_by_role("button", name="Create scenario").click()
    await page.locator("#f-pains-error").wait_for()
    assert "At most 10 lines." in await page.locator("#f-pains-error").inner_text()
    assert await page.get_by_label("Job title").input_value() == "Head of Logistics"
    assert await page.get_by_label("Difficulty").input_value() == "hard"
    await _checked(page, "scenario-new-refused")

    await page.get_by_label("Pains").fill("tracking is three days behind\ncustoms eats two people")
    await page.get_by_role("button", name="Create scenario").click()
    await page.get_by_text("The scenario is created.").wait_for()
    await page.get_by_role("heading", name="Renewal at Harbor Freight").wait_for()
    await _checked(page, "scenario-edit")

    await page.get_by_label("Difficulty").select_option("medium")
    await page.get_by_label("Language").select_option("es")
    await page.get_by_role("button", name="Save scenario").click()
    await page.get_by_text("The scenario is saved.").wait_for()
    assert await page.get_by_label("Language").input_value() == "es"

    await page.get_by_role("link", name="All scenarios").click()
    row = page.locator("tr", has_text="Renewal at Harbor Freight")
    assert (await row.locator("td").all_inner_texts())[:4] == [
        "Renewal at Harbor Freight", "Closing", "Medium", "Spanish"]
    await _checked(page, "scenarios-list")

    built_in = page.get_by_role("region", name="Built-in scenarios").locator("tr").nth(1)
    built_in_name = (await built_in.locator("td").first.inner_text()).strip()
    await built_in.get_by_role("button", name=f"Copy {built_in_name}").click()
    await page.get_by_text("This is a copy").wait_for()
    assert await page.get_by_label("Scenario name").input_value() == f"{built_in_name} (copy)"

    await page.goto("/practice")
    await page.get_by_role("heading", name="Renewal at Harbor Freight").wait_for()
    await page.goto(LIST)
    await page.get_by_role("link", name="Renewal at Harbor Freight").click()
    await page.get_by_role("button", name="Archive").click()
    await page.get_by_text("The scenario is archived").wait_for()
    archived = page.get_by_role("region", name="Archived scenarios")
    await archived.get_by_role("link", name="Renewal at Harbor Freight").click()
    await page.locator("#scenario-state").wait_for()
    assert "Archived" in await page.locator("#scenario-state").inner_text()
    assert await page.get_by_role("button", name="Save scenario").count() == 0
    await _checked(page, "scenario-archived")
    await page.goto("/practice")
    assert await page.get_by_role("heading", name="Renewal at Harbor Freight").count() == 0


async def test_bad_fields_are_shown_on_their_field_and_store_nothing(app, owner_url):
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        cases = [
            ({"persona_name": "   "}, "f-persona_name-error"),
            ({"pains": "x" * 301}, "Pains, line 1"),
            ({"objections": ""}, "f-objections-error"),
            ({"call_type": "karaoke"}, "f-call_type-error"),
            ({"language": "tlh"}, "f-language-error"),
            ({"scorecard_id": "not-a-uuid"}, "f-scorecard_id-error"),
            ({"first_message": "a\x00b"}, "f-first_message-error"),
        ]
        for changes, shown in cases:
            refused = await form_post(admin, NEW, NEW, _form(**changes))
            assert refused.status_code == 422, (changes, refused.status_code)
            assert shown in refused.text, changes
            assert 'value="Head of Logistics"' in refused.text  # the form as typed
        unknown_card = await form_post(admin, NEW, NEW, _form(
            scorecard_id="00000000-0000-4000-8000-000000000000"))
        assert unknown_card.status_code == 422 and "scorecard" in unknown_card.text.lower()
        assert stored_scenarios(owner_url) == []

        scenario_id = await _created(admin)
        page = f"/admin/scenarios/{scenario_id}"
        before = stored_scenarios(owner_url)
        blanked = await form_post(admin, page, page, _form(name="", pains="  \n "))
        assert blanked.status_code == 422
        assert "f-name-error" in blanked.text and "f-pains-error" in blanked.text
        token_less = await admin.post(page, data=_form(name="Forged"),
                                      headers={"origin": "https://testserver"})
        assert token_less.status_code == 403
        assert stored_scenarios(owner_url) == before


async def test_built_ins_and_archived_scenarios_are_shown_not_edited(app, owner_url):
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        listing = (await admin.get(LIST)).text
        built_in = listing.split('href="/admin/scenarios/', 2)[1].split('"')[0]
        if built_in == "new":
            built_in = listing.split('href="/admin/scenarios/', 3)[2].split('"')[0]
        shown = await admin.get(f"/admin/scenarios/{built_in}")
        assert shown.status_code == 200 and "A built-in scenario: read-only" in shown.text
        refused = await form_post(admin, f"/admin/scenarios/{built_in}",
                                  f"/admin/scenarios/{built_in}", _form())
        assert refused.status_code == 409
        archive = await form_post(admin, LIST, f"/admin/scenarios/{built_in}/archive", {})
        assert archive.status_code == 409
        assert stored_scenarios(owner_url) == []

        scenario_id = await _created(admin)
        page = f"/admin/scenarios/{scenario_id}"
        archived = await form_post(admin, page, f"{page}/archive", {})
        assert archived.status_code == 303
        before = stored_scenarios(owner_url)
        assert before[0][3] is not None
        changed = await form_post(admin, page, page, _form(name="Back again"))
        assert changed.status_code == 409
        assert stored_scenarios(owner_url) == before
        copied = await form_post(admin, page, f"{page}/duplicate", {})
        assert copied.status_code == 303 and copied.headers["location"].endswith("?done=copied")
        names = [row[2] for row in stored_scenarios(owner_url)]
        assert names == [before[0][2], f"{before[0][2]} (copy)"]


async def test_reps_and_strangers_are_refused_and_another_company_is_not_found(
    app, client, owner_url,
):
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        scenario_id = await _created(admin)
        rep = await invited_member(client, owner_url, admin_email, "user")
    pages = (LIST, NEW, f"/admin/scenarios/{scenario_id}")
    async with browser_client(app) as anonymous:
        for path in pages:
            response = await anonymous.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next=")
    before = stored_scenarios(owner_url)
    async with browser_client(app) as browser:
        posted = await form_post(browser, "/login", "/login", {
            "email": rep["email"], "password": PASSWORD, "next": "/settings"})
        assert posted.status_code == 303
        for path in pages:
            assert (await browser.get(path)).status_code == 403, path
        for action in (NEW, f"/admin/scenarios/{scenario_id}",
                       f"/admin/scenarios/{scenario_id}/archive",
                       f"/admin/scenarios/{scenario_id}/duplicate"):
            assert (await form_post(browser, "/settings", action, _form())).status_code == 403
    async with browser_client(app) as other:
        await signed_in_browser(other, app)
        theirs = f"/admin/scenarios/{scenario_id}"
        shown = await other.get(theirs)
        assert shown.status_code == 404 and "Harbor Freight" not in shown.text
        for action in (theirs, f"{theirs}/archive", f"{theirs}/duplicate"):
            assert (await form_post(other, LIST, action, _form())).status_code == 404, action
    assert stored_scenarios(owner_url) == before
