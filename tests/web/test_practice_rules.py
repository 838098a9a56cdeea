"""The practice pages' rules, through HTTP: only your own live call, CSRF on start, turns and
end, the API's refusals shown on the page, and nothing started, said or ended by a refused form."""

from __future__ import annotations

import re

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.web.helpers import browser_client, csrf_of, form_post, signed_in_browser

SCENARIO = "price-objection"
CALL_PATH = re.compile(r"^/practice/calls/([0-9a-f-]{36})$")


def _calls_of(owner_url, email: str) -> list[tuple[str, str]]:
    """(status, number of turns) of the user's calls, oldest first."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT s.status, coalesce(jsonb_array_length(t.turns), 0) FROM sessions s"
            " JOIN users u ON u.id = s.user_id LEFT JOIN transcripts t ON t.session_id = s.id"
            " WHERE u.email = %s ORDER BY s.started_at", (email,)).fetchall()


async def _start(client, mode: str = "text") -> str:
    response = await form_post(client, "/practice", "/practice/start",
                               {"scenario_id": SCENARIO, "mode": mode})
    assert response.status_code == 303, response.text
    found = CALL_PATH.match(response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


async def test_practice_shows_the_minutes_left_and_a_start_form_per_scenario_and_mode(app):
    async with browser_client(app) as client:
        await signed_in_browser(client, app)
        page = await client.get("/practice")
    assert page.status_code == 200
    assert "60</strong> minutes of practice left" in page.text
    assert page.text.count('name="mode" value="voice"') == page.text.count(
        'name="mode" value="text"') >= 6


async def test_a_text_call_starts_takes_turns_without_scripts_and_ends_on_its_report(
        app, owner_url):
    async with browser_client(app) as client:
        email = await signed_in_browser(client, app)
        call_id = await _start(client)
        page = await client.get(f"/practice/calls/{call_id}")
        assert page.status_code == 200 and "End call" in page.text
        assert 'aria-live="polite"' in page.text and "data-stream-url" not in page.text
        said = await form_post(client, f"/practice/calls/{call_id}",
                               f"/practice/calls/{call_id}/say",
                               {"text": "Hi Priya, what made the number feel high?"})
        assert said.status_code == 303
        assert said.headers["location"] == f"/practice/calls/{call_id}"
        page = await client.get(f"/practice/calls/{call_id}")
        assert "what made the number feel high?" in page.text
        assert page.text.count('class="turn prospect"') == 2  # the opening line and a reply
        ended = await form_post(client, f"/practice/calls/{call_id}",
                                f"/practice/calls/{call_id}/end", {})
        assert ended.status_code == 303 and ended.headers["location"] == f"/history/{call_id}"
        again = await client.get(f"/practice/calls/{call_id}")  # ended: its report instead
        assert again.status_code == 303 and again.headers["location"] == f"/history/{call_id}"
    assert _calls_of(owner_url, email) == [("completed", 3)]


async def test_an_htmx_turn_gets_the_new_turns_and_the_minutes_left(app):
    async with browser_client(app) as client:
        await signed_in_browser(client, app)
        call_id = await _start(client)
        token = csrf_of((await client.get(f"/practice/calls/{call_id}")).text)
        response = await client.post(f"/practice/calls/{call_id}/say", data={"text": "Hello <b>"},
                                     headers={"hx-request": "true", "x-csrf-token": token,
                                              "origin": "https://testserver"})
        blank = await client.post(f"/practice/calls/{call_id}/say", data={"text": "   "},
                                  headers={"hx-request": "true", "x-csrf-token": token,
                                           "origin": "https://testserver"})
    assert response.status_code == 200
    assert response.text.count("<li") == 3 and "Hello &lt;b&gt;" in response.text
    assert 'id="minutes-left" hx-swap-oob="true">59<' in response.text
    assert blank.status_code == 422 and 'id="turn-problem"' in blank.text
    assert "must not be blank" in blank.text
    assert "<html" not in blank.text


async def test_another_users_call_page_is_not_found_and_cannot_be_used(app, owner_url):
    async with browser_client(app) as owner:
        owner_email = await signed_in_browser(owner, app)
        call_id = await _start(owner)
    async with browser_client(app) as other:
        await signed_in_browser(other, app)  # another company's admin
        page = await other.get(f"/practice/calls/{call_id}")
        said = await form_post(other, "/practice", f"/practice/calls/{call_id}/say",
                               {"text": "Let me in"})
        ended = await form_post(other, "/practice", f"/practice/calls/{call_id}/end", {})
        unknown = await other.get("/practice/calls/00000000-0000-4000-8000-000000000000")
        malformed = await other.get("/practice/calls/not-a-uuid")
    for response in (page, said, ended, unknown, malformed):
        assert response.status_code == 404, response.status_code
        assert "Not found" in response.text or "No such session." in response.text
    assert _calls_of(owner_url, owner_email) == [("in_progress", 0)]


async def test_start_turn_and_end_without_the_csrf_token_do_nothing(app, owner_url):
    async with browser_client(app) as client:
        email = await signed_in_browser(client, app)
        await client.get("/practice")
        refused_start = await client.post("/practice/start",
                                          data={"scenario_id": SCENARIO, "mode": "text"})
        assert refused_start.status_code == 403
        assert _calls_of(owner_url, email) == []
        call_id = await _start(client)
        refused_say = await client.post(f"/practice/calls/{call_id}/say",
                                        data={"text": "hello", "csrf_token": "0" * 64})
        refused_end = await client.post(f"/practice/calls/{call_id}/end", data={})
        cross_site = await client.post(
            f"/practice/calls/{call_id}/end", headers={"origin": "https://evil.example"},
            data={"csrf_token": csrf_of((await client.get("/practice")).text)})
    for response in (refused_say, refused_end, cross_site):
        assert response.status_code == 403 and "did not come from Pitchlab" in response.text
    assert _calls_of(owner_url, email) == [("in_progress", 0)]


async def test_a_second_call_while_one_is_live_is_refused_on_the_page(app, owner_url):
    async with browser_client(app) as client:
        email = await signed_in_browser(client, app)
        call_id = await _start(client)
        second = await form_post(client, "/practice", "/practice/start",
                                 {"scenario_id": "discovery-busy-vp", "mode": "text"})
        page = await client.get("/practice")
    assert second.status_code == 409
    assert "You already have a practice call in progress." in second.text
    assert 'role="alert"' in second.text
    assert f'href="/practice/calls/{call_id}"' in page.text  # the way back to it
    assert _calls_of(owner_url, email) == [("in_progress", 0)]


async def test_refusals_of_the_start_service_are_shown_and_store_nothing(app, owner_url):
    async with browser_client(app) as client:
        email = await signed_in_browser(client, app)
        no_consent = await form_post(client, "/practice", "/practice/start",
                                     {"scenario_id": SCENARIO, "mode": "voice"})
        bad_mode = await form_post(client, "/practice", "/practice/start",
                                   {"scenario_id": SCENARIO, "mode": "telepathy"})
        unknown = await form_post(client, "/practice", "/practice/start",
                                  {"scenario_id": "no-such-scenario", "mode": "text"})
    assert no_consent.status_code == 403 and "consent to voice recording" in no_consent.text
    assert bad_mode.status_code == 422 and "Please correct" in bad_mode.text
    assert unknown.status_code == 422 and "No scenario has this id" in unknown.text
    assert _calls_of(owner_url, email) == []


async def test_no_minutes_left_is_shown_on_the_page(app, owner_url):
    from tests.practice.helpers import set_company_quota

    async with browser_client(app) as client:
        email = await signed_in_browser(client, app)
        set_company_quota(owner_url, email, 60, 60)
        page = await client.get("/practice")
        refused = await form_post(client, "/practice", "/practice/start",
                                  {"scenario_id": SCENARIO, "mode": "text"})
    assert "0</strong> minutes of practice left" in page.text
    assert refused.status_code == 402 and 'role="alert"' in refused.text
    assert _calls_of(owner_url, email) == []


async def test_the_call_pages_need_a_session(app):
    async with browser_client(app) as client:
        page = await client.get("/practice/calls/00000000-0000-4000-8000-000000000000")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=%2Fpractice%2Fcalls%2F")


async def test_a_teammates_call_page_is_not_found_and_a_rep_cannot_end_the_admins_call(
        app, client, owner_url):
    from tests.auth.helpers import PASSWORD, bearer, invited_member

    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        admins_call = await _start(admin)
        member = await invited_member(client, owner_url, admin_email)
        started = await client.post("/api/sessions/start", headers=bearer(member),
                                    json={"scenario_id": SCENARIO, "mode": "text"})
        reps_call = started.json()["id"]
        # an admin may read the company's calls over the API, but holds only their own
        page = await admin.get(f"/practice/calls/{reps_call}")
        said = await form_post(admin, "/practice", f"/practice/calls/{reps_call}/say",
                               {"text": "Can I talk instead?"})
    async with browser_client(app) as rep_browser:
        response = await form_post(rep_browser, "/login", "/login", {
            "email": member["email"], "password": PASSWORD, "next": "/practice"})
        assert response.status_code == 303
        rep_page = await rep_browser.get(f"/practice/calls/{admins_call}")
        rep_end = await form_post(rep_browser, "/practice", f"/practice/calls/{admins_call}/end",
                                  {})
        own = await rep_browser.get(f"/practice/calls/{reps_call}")
    for response in (page, said, rep_page, rep_end):
        assert response.status_code == 404, response.status_code
    assert own.status_code == 200 and "Can I talk instead?" not in own.text
    assert _calls_of(owner_url, admin_email) == [("in_progress", 0)]
    assert _calls_of(owner_url, member["email"]) == [("in_progress", 0)]
