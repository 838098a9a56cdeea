"""The assignment pages: in Chromium (an admin assigns a company scenario to one rep and a
built-in to all, a form without a rep is shown again, one is withdrawn; a rep starts a call from
"Assigned to you"), and over HTTP (a bad target writes nothing, a call reaching the target
completes the row, reps are refused the admin's page and its forms)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import psycopg

from pitchlab.database_setup import libpq_dsn
from pitchlab.web import assignments as web_assignments
from tests.assignments.test_assignments import set_score
from tests.auth.helpers import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    PASSWORD,
    bearer,
    invited_member,
    signed_in_operator,
    signed_up,
)
from tests.practice.helpers import finished_text_call
from tests.scenarios.helpers import scenario_body
from tests.web.accessibility import assert_accessible
from tests.web.conftest import shoot
from tests.web.helpers import browser_client, fits_a_phone, form_post, log_in

BUILT_IN = "cold-call-gatekeeper"
BUILT_IN_NAME = "Cold call past a gatekeeper"
OWN_NAME = "Renewal at Harbor Freight Co"
NEXT_PAGE = re.compile(r'<a href="(/admin/assignments\?cursor=[^"]+)">Next page</a>')


def assignments_of(owner_url, email: str) -> list[tuple]:
    """(rep's name, scenario id, due_at, target) of the company's assignments."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT u.name, a.scenario_id, a.due_at, a.target_score FROM assignments a"
            " JOIN users u ON u.id = a.user_id WHERE a.company_id ="
            " (SELECT company_id FROM users WHERE email = %s) ORDER BY u.name, a.scenario_id",
            (email,)).fetchall()


async def named_rep(client, owner_url, admin_email: str, name: str) -> dict:
    """A rep of the admin's company, named ``name`` (to tell the rows apart)."""
    rep = await invited_member(client, owner_url, admin_email)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE users SET name = %s WHERE email = %s", (name, rep["email"]))
    return rep


async def team(client, app, owner_url) -> dict:
    """An admin with two reps (Ann, Bob) and a company scenario."""
    admin = await signed_up(client, app, owner_url)
    reps = [await named_rep(client, owner_url, admin["email"], name) for name in ("Ann", "Bob")]
    own = await client.post("/api/scenarios", headers=bearer(admin), json=scenario_body())
    assert own.status_code == 201, own.text
    return {"admin": admin, "ann": reps[0], "bob": reps[1], "own": own.json()["id"]}


async def _checked(page, name: str) -> None:
    await shoot(page, name)
    await assert_accessible(page)
    await fits_a_phone(page)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_an_admin_assigns_to_one_rep_and_to_all_and_withdraws_one(page, client, app,
                                                                         owner_url):
    made = await team(client, app, owner_url)
    email = made["admin"]["email"]
    await log_in(page, email)
    await page.goto("/admin/team")
    await page.get_by_role("link", name="Assignments").last.click()
    await page.get_by_role("heading", name="Admin: assignments").wait_for()
    await page.get_by_text("No assignments yet.").wait_for()
    await _checked(page, "assignments-empty")

    due = (datetime.now(UTC) + timedelta(days=7)).date()
    await page.get_by_label("Scenario", exact=True).select_option(label=OWN_NAME)
    await page.get_by_role("group", name="Reps").get_by_label("Ann").check()
    await page.get_by_label("Due date (optional)").fill(due.isoformat())
    await page.get_by_label("Target score (optional)").fill("3.5")
    await page.get_by_role("button", name="Assign", exact=True).click()
    await page.get_by_text("The scenario is assigned.").wait_for()
    row = page.locator("tr", has_text=OWN_NAME)
    assert await row.count() == 1
    text = await row.inner_text()
    assert "Ann" in text and due.strftime("%d %b %Y") in text and "3.5" in text and "Open" in text

    await page.get_by_label("Scenario", exact=True).select_option(BUILT_IN)
    await page.get_by_label("All reps").check()
    await page.get_by_role("button", name="Assign", exact=True).click()
    await page.get_by_text("The scenario is assigned.").wait_for()
    assert await page.locator("tr", has_text=BUILT_IN_NAME).count() == 2
    await _checked(page, "assignments-list")

    before = assignments_of(owner_url, email)
    await page.get_by_label("Scenario", exact=True).select_option(label=OWN_NAME)
    await page.get_by_label("Target score (optional)").fill("4")
    await page.get_by_role("button", name="Assign", exact=True).click()  # nobody ticked
    await page.get_by_text("Choose at least one rep, or All reps.").wait_for()
    assert await page.get_by_label("Target score (optional)").input_value() == "4"
    assert await page.get_by_label("Scenario", exact=True).input_value() == made["own"]
    await _checked(page, "assignments-refused")
    assert assignments_of(owner_url, email) == before

    await page.get_by_role("button", name=f"Withdraw {OWN_NAME} from Ann").click()
    await page.get_by_text("The assignment is withdrawn.").wait_for()
    assert await page.locator("tr", has_text=OWN_NAME).count() == 0
    assert [(name, scenario) for name, scenario, _, _ in assignments_of(owner_url, email)] == [
        ("Ann", BUILT_IN), ("Bob", BUILT_IN)]

    await page.get_by_label("Status", exact=True).select_option("completed")
    await page.get_by_role("button", name="Show").click()
    await page.get_by_text("No completed assignments.").wait_for()


async def test_a_rep_starts_a_call_from_what_is_assigned_to_them(page, client, app, owner_url):
    made = await team(client, app, owner_url)
    assigned = await client.post("/api/assignments", headers=bearer(made["admin"]), json={
        "scenario_id": BUILT_IN, "user_ids": [await _id_of(client, made["ann"])]})
    assert assigned.status_code == 201, assigned.text
    await log_in(page, made["ann"]["email"])
    await page.get_by_role("link", name="Assignments").click()
    await page.get_by_role("heading", name="Assigned to you").wait_for()
    row = page.locator("tr", has_text=BUILT_IN_NAME)
    assert "Open" in await row.inner_text()
    await _checked(page, "assigned-to-you")
    await row.get_by_role("button", name="Start text call").click()
    await page.wait_for_url("**/practice/calls/*")
    await page.get_by_role("button", name="End call").wait_for()


async def _id_of(client, tokens: dict) -> str:
    return (await client.get("/api/users/me", headers=bearer(tokens))).json()["id"]


async def test_nothing_assigned_reads_so(page, client, app, owner_url):
    made = await team(client, app, owner_url)
    await log_in(page, made["bob"]["email"])
    await page.goto("/assignments")
    await page.get_by_text("Nothing is assigned to you.").wait_for()
    await _checked(page, "assigned-nothing")


async def test_a_call_reaching_the_target_completes_the_row(client, app, owner_url):
    made = await team(client, app, owner_url)
    ann_id = await _id_of(client, made["ann"])
    assigned = await client.post("/api/assignments", headers=bearer(made["admin"]), json={
        "scenario_id": BUILT_IN, "user_ids": [ann_id], "target_score": 3})
    assert assigned.status_code == 201, assigned.text
    low = await finished_text_call(client, app, made["ann"], "Who picks up your calls?",
                                   scenario_id=BUILT_IN)
    set_score(owner_url, low, 2)
    async with browser_client(app) as rep:
        await form_post(rep, "/login", "/login", {"email": made["ann"]["email"],
                                                  "password": PASSWORD, "next": "/assignments"})
        shown = await rep.get("/assignments")
        assert shown.status_code == 200 and "Open" in shown.text
        assert "Start text call" in shown.text
        high = await finished_text_call(client, app, made["ann"], "What is the cost today?",
                                        scenario_id=BUILT_IN)
        set_score(owner_url, high, 4)
        done = (await rep.get("/assignments")).text
        today = datetime.now(UTC).strftime("%d %b %Y")
        assert f"Completed {today}" in done and "Start text call" not in done
    async with browser_client(app) as admin:
        await form_post(admin, "/login", "/login", {"email": made["admin"]["email"],
                                                    "password": PASSWORD, "next": "/practice"})
        listed = (await admin.get("/admin/assignments?status=completed")).text
        assert f"Completed {today}" in listed and "Ann" in listed


async def test_a_bad_target_shows_the_form_again_and_writes_nothing(client, app, owner_url):
    made = await team(client, app, owner_url)
    email = made["admin"]["email"]
    ann_id = await _id_of(client, made["ann"])
    async with browser_client(app) as admin:
        await form_post(admin, "/login", "/login", {"email": email, "password": PASSWORD,
                                                    "next": "/practice"})
        page = "/admin/assignments"
        refused = await form_post(admin, page, page, {
            "scenario_id": made["own"], "user_ids": ann_id, "target_score": "7",
            "due_at": "2099-01-31"})
        assert refused.status_code == 422
        assert "Please correct the fields marked below." in refused.text
        assert 'aria-errormessage="f-target_score-error"' in refused.text
        assert "less than or equal to 5" in refused.text
        assert 'value="7"' in refused.text and 'value="2099-01-31"' in refused.text
        assert f'value="{ann_id}" checked' in refused.text
        past = await form_post(admin, page, page, {
            "scenario_id": BUILT_IN, "all": "on", "due_at": "2001-01-31"})
        assert past.status_code == 422 and 'id="f-due_at-error"' in past.text
        assert assignments_of(owner_url, email) == []

        made_ok = await form_post(admin, page, page, {
            "scenario_id": BUILT_IN, "user_ids": ann_id, "due_at": "2099-01-31",
            "target_score": "2.25"})
        assert made_ok.status_code == 303
        assert made_ok.headers["location"] == "/admin/assignments?done=assigned"
    [(name, scenario, due_at, target)] = assignments_of(owner_url, email)
    assert (name, scenario, float(target)) == ("Ann", BUILT_IN, 2.25)
    assert due_at == datetime(2099, 1, 31, 23, 59, 59, tzinfo=UTC)


async def test_a_rep_is_refused_the_admins_page_and_its_forms(client, app, owner_url):
    made = await team(client, app, owner_url)
    ann_id = await _id_of(client, made["ann"])
    assigned = await client.post("/api/assignments", headers=bearer(made["admin"]), json={
        "scenario_id": BUILT_IN, "all": True})
    assignment_id = assigned.json()["items"][0]["id"]
    before = assignments_of(owner_url, made["admin"]["email"])
    async with browser_client(app) as anonymous:
        for path in ("/admin/assignments", "/assignments"):
            response = await anonymous.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")
    async with browser_client(app) as rep:
        await form_post(rep, "/login", "/login", {"email": made["ann"]["email"],
                                                  "password": PASSWORD, "next": "/practice"})
        shown = await rep.get("/admin/assignments")
        assert shown.status_code == 403 and "Not allowed" in shown.text
        posted = await form_post(rep, "/assignments", "/admin/assignments", {
            "scenario_id": made["own"], "user_ids": ann_id})
        assert posted.status_code == 403
        withdrawn = await form_post(rep, "/assignments",
                                    f"/admin/assignments/{assignment_id}/withdraw", {})
        assert withdrawn.status_code == 403
        mine = (await rep.get("/assignments")).text
        assert mine.count(BUILT_IN_NAME) == 1  # Ann's own, not Bob's
        assert 'href="/assignments" aria-current="page"' in mine
    assert assignments_of(owner_url, made["admin"]["email"]) == before


async def test_the_admins_list_pages_with_the_apis_cursor_and_keeps_its_filter(
        client, app, owner_url, monkeypatch):
    monkeypatch.setattr(web_assignments, "PAGE_SIZE", 1)
    made = await team(client, app, owner_url)
    assigned = await client.post("/api/assignments", headers=bearer(made["admin"]), json={
        "scenario_id": BUILT_IN, "all": True})
    assert assigned.status_code == 201, assigned.text
    async with browser_client(app) as admin:
        await form_post(admin, "/login", "/login", {"email": made["admin"]["email"],
                                                    "password": PASSWORD, "next": "/practice"})
        first = (await admin.get("/admin/assignments?status=open")).text
        assert first.count("<tr id=\"assignment-") == 1
        found = NEXT_PAGE.search(first)
        assert found, "no Next page link"
        assert found.group(1).endswith("&amp;status=open")
        second = (await admin.get(html.unescape(found.group(1)))).text
        assert second.count("<tr id=\"assignment-") == 1
        assert NEXT_PAGE.search(second) is None and "First page" in second
        names = {text for text in ("Ann", "Bob") if f'data-label="Rep">{text}<' in first + second}
        assert names == {"Ann", "Bob"}


async def test_an_operator_has_no_assignments(client, app, owner_url, monkeypatch, tmp_path):
    """As on /progress: a platform operator belongs to no company (403, no menu entry)."""
    assert (await signed_in_operator(client, owner_url, monkeypatch, tmp_path)).status_code == 200
    async with browser_client(app) as operator:
        await form_post(operator, "/login", "/login", {"email": OPERATOR_EMAIL,
                                                       "password": OPERATOR_PASSWORD,
                                                       "next": "/practice"})
        practice = await operator.get("/practice")
        assert practice.status_code == 200 and 'href="/assignments"' not in practice.text
        assert 'href="/admin/assignments"' not in practice.text
        for path in ("/assignments", "/admin/assignments", "/progress"):
            refused = await operator.get(path)
            assert refused.status_code == 403, path
        posted = await form_post(operator, "/practice", "/admin/assignments",
                                 {"scenario_id": BUILT_IN, "all": "on"})
        assert posted.status_code == 403
