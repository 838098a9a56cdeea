"""History pages' rules through HTTP: who may open which call (the API's rule, mirrored), what
a stranger learns (nothing), malformed ids, no session, a purged report, the list's cursor."""

from __future__ import annotations

import re

import psycopg
from markupsafe import escape

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, bearer, invited_member
from tests.practice.helpers import finished_text_call, rep, start
from tests.web.helpers import browser_client, form_post, signed_in_browser

LINE = "Hi, how many reps are on your team, and what does onboarding look like?"


async def _signed_in_as(client, email: str) -> None:
    response = await form_post(client, "/login", "/login",
                               {"email": email, "password": PASSWORD, "next": "/history"})
    assert response.status_code == 303, response.text


def _feedback_rows(owner_url, sid: str) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT count(*) FROM feedback WHERE session_id = %s",
                            (sid,)).fetchone()[0]


async def test_another_companys_call_is_a_404_page_that_reveals_nothing(app, client, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = await finished_text_call(client, app, tokens, LINE)
    name = (await client.get(f"/api/sessions/{sid}", headers=bearer(tokens))).json()[
        "scenario"]["name"]
    async with browser_client(app) as browser:
        await signed_in_browser(browser, app)  # another company's admin
        own = await browser.get("/history")
        page = await browser.get(f"/history/{sid}")
        fragment = await browser.get(f"/history/{sid}/feedback")
    assert own.status_code == 200 and sid not in own.text
    for response in (page, fragment):
        assert response.status_code == 404
        assert "Not found" in response.text
        assert name not in response.text and LINE not in response.text
    assert _feedback_rows(owner_url, sid) == 1  # nothing changed


async def test_a_rep_cannot_open_a_colleagues_call_and_an_admin_can_as_the_api_allows(
    app, client, owner_url
):
    admin = await rep(client, app, owner_url)
    admin_call = await finished_text_call(client, app, admin, LINE)
    member = await invited_member(client, owner_url, admin["email"])
    member_call = await finished_text_call(client, app, member, LINE)
    async with browser_client(app) as browser:
        await _signed_in_as(browser, member["email"])
        theirs = await browser.get(f"/history/{admin_call}")
        mine = await browser.get(f"/history/{member_call}")
    api_theirs = await client.get(f"/api/sessions/{admin_call}", headers=bearer(member))
    assert api_theirs.status_code == 404 and theirs.status_code == 404
    assert LINE not in theirs.text
    assert mine.status_code == 200 and LINE in mine.text

    async with browser_client(app) as browser:
        await _signed_in_as(browser, admin["email"])
        reps_call = await browser.get(f"/history/{member_call}")
    api_reps_call = await client.get(f"/api/sessions/{member_call}", headers=bearer(admin))
    assert api_reps_call.status_code == 200 and reps_call.status_code == 200
    assert LINE in reps_call.text and "<h2 id=\"feedback-title\">Feedback</h2>" in reps_call.text
    assert re.findall("Progress: [^<]*", reps_call.text)[0].startswith(
        "Progress: this rep&#39;s overall score")


async def test_a_rep_listing_somebody_elses_calls_is_refused_as_by_the_api(app, client,
                                                                          owner_url):
    admin = await rep(client, app, owner_url)
    member = await invited_member(client, owner_url, admin["email"])
    me = (await client.get("/api/users/me", headers=bearer(admin))).json()
    api = await client.get(f"/api/sessions?user_id={me['id']}", headers=bearer(member))
    async with browser_client(app) as browser:
        await _signed_in_as(browser, member["email"])
        page = await browser.get(f"/history?user_id={me['id']}")
    assert api.status_code == 403 and page.status_code == 403
    assert "Only admins can list other users&#39; sessions." in page.text


async def test_an_admin_lists_a_reps_calls_with_user_id(app, client, owner_url):
    admin = await rep(client, app, owner_url)
    member = await invited_member(client, owner_url, admin["email"])
    sid = await finished_text_call(client, app, member, LINE)
    member_id = (await client.get("/api/users/me", headers=bearer(member))).json()["id"]
    async with browser_client(app) as browser:
        await _signed_in_as(browser, admin["email"])
        mine = await browser.get("/history")
        theirs = await browser.get(f"/history?user_id={member_id}")
    assert sid not in mine.text
    assert theirs.status_code == 200 and f"/history/{sid}" in theirs.text


async def test_malformed_ids_are_404_pages_and_a_bad_cursor_is_refused_as_by_the_api(app,
                                                                                    client,
                                                                                    owner_url):
    async with browser_client(app) as browser:
        await signed_in_browser(browser, app)
        for path in ("/history/not-a-uuid", "/history/123/feedback",
                     "/history/00000000-0000-0000-0000-000000000000",
                     "/history/00000000-0000-0000-0000-000000000000/feedback"):
            response = await browser.get(path)
            assert response.status_code == 404, path
            assert "Not found" in response.text, path
        bad_cursor = await browser.get("/history?cursor=garbage")
        bad_user = await browser.get("/history?user_id=nope")
    tokens = await rep(client, app, owner_url)
    api = await client.get("/api/sessions?cursor=garbage", headers=bearer(tokens))
    assert bad_cursor.status_code == api.status_code == 422 and "<html" in bad_cursor.text
    assert str(escape(api.json()["error"]["message"])) in bad_cursor.text
    assert bad_user.status_code == 404


async def test_history_pages_need_a_session(app):
    async with browser_client(app) as browser:
        for path in ("/history", "/history/00000000-0000-0000-0000-000000000000",
                     "/history/00000000-0000-0000-0000-000000000000/feedback"):
            response = await browser.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=%2Fhistory")


async def test_a_purged_report_says_what_the_api_says(app, client, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = await finished_text_call(client, app, tokens, LINE)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("DELETE FROM feedback WHERE session_id = %s", (sid,))
    api = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    async with browser_client(app) as browser:
        await _signed_in_as(browser, tokens["email"])
        page = await browser.get(f"/history/{sid}")
    assert api.status_code == 404 and "retention" in api.json()["error"]["message"]
    assert page.status_code == api.status_code
    assert str(escape(api.json()["error"]["message"])) in page.text


async def test_a_cancelled_call_says_it_has_no_feedback(app, client, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens),
                      json={"reason": "cancelled"})
    async with browser_client(app) as browser:
        await _signed_in_as(browser, tokens["email"])
        page = await browser.get(f"/history/{sid}")
        listed = await browser.get("/history")
    assert page.status_code == 200 and "A cancelled call has no feedback." in page.text
    assert "cancelled" in listed.text


async def test_the_list_pages_with_the_apis_cursor(app, client, owner_url):
    tokens = await rep(client, app, owner_url)
    ids = [await finished_text_call(client, app, tokens, LINE) for _ in range(3)]
    async with browser_client(app) as browser:
        await _signed_in_as(browser, tokens["email"])
        first = await browser.get("/history?limit=2")
        assert first.status_code == 200
        assert f"/history/{ids[2]}" in first.text and f"/history/{ids[1]}" in first.text
        assert f"/history/{ids[0]}\"" not in first.text
        api = (await client.get("/api/sessions?limit=2", headers=bearer(tokens))).json()
        more = f"/history?cursor={api['next_cursor']}&amp;limit=2"
        assert more in first.text
        second = await browser.get(more.replace("&amp;", "&"))
    assert f"/history/{ids[0]}" in second.text and f"/history/{ids[2]}" not in second.text
    assert "Older calls" not in second.text


async def test_text_in_a_report_is_shown_as_text_never_as_markup(app, client, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = await finished_text_call(client, app, tokens, LINE)
    evil = '<script>alert("x")</script>'
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "UPDATE feedback SET metrics = jsonb_set(jsonb_set(jsonb_set(metrics,"
            " '{filler_words,by_word}', jsonb_build_object(%s::text, 2)),"
            " '{skill_scores,discovery}', jsonb_build_object('score', 4, 'status', 'scored',"
            " 'evidence', jsonb_build_array(%s::text))),"
            " '{summary}', to_jsonb(%s::text)) WHERE session_id = %s",
            (evil, evil, evil, sid))
    async with browser_client(app) as browser:
        await _signed_in_as(browser, tokens["email"])
        page = await browser.get(f"/history/{sid}")
    assert page.status_code == 200
    assert evil not in page.text
    assert page.text.count("&lt;script&gt;") >= 4  # summary, filler bar + table, evidence


async def test_a_call_in_progress_waits_and_polls_and_a_failed_report_says_why(app, client,
                                                                              owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    async with browser_client(app) as browser:
        await _signed_in_as(browser, tokens["email"])
        live = await browser.get(f"/history/{sid}")
        fragment = await browser.get(f"/history/{sid}/feedback")
        await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
        with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
            conn.execute("UPDATE sessions SET feedback_status = 'failed',"
                         " feedback_error = 'the scorer timed out' WHERE id = %s", (sid,))
        api = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
        failed = await browser.get(f"/history/{sid}")
    assert live.status_code == 200 and "still in progress" in live.text
    assert f'hx-get="/history/{sid}/feedback"' in live.text and 'hx-trigger="every 2s"' in live.text
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith("<section")
    assert "<html" not in fragment.text and 'hx-trigger="every 2s"' in fragment.text
    assert api.json() == {"status": "failed", "error": "the scorer timed out"}
    assert failed.status_code == 200 and "the scorer timed out" in failed.text
    assert "hx-get" not in failed.text.split('id="feedback"')[1].split(">")[0]
