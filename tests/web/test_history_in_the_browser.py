"""A rep's history and feedback report in Chromium: the list, the report's charts (inline SVG),
skill scores with evidence, the moments on the call's timeline, and a waiting report that turns
into the report without a reload."""

from __future__ import annotations

from tests.auth.helpers import PASSWORD, bearer, drain_jobs
from tests.practice.helpers import finished_text_call, rep, start
from tests.scenarios.helpers import created
from tests.web.accessibility import assert_accessible
from tests.web.conftest import shoot
from tests.web.helpers import fits_a_phone, log_in

LINES = (
    "Hi Dana, thanks for taking the call. Um, how many reps are on your team today?",
    "What does onboarding a new rep look like right now, and how long does it take?",
    "So, like, what happens when a new rep misses quota in the first quarter?",
    "You said ramp takes four months. What would it mean for you to cut that in half?",
    "Could we book a demo next Tuesday at 10 with your sales director?",
)

CHART_TITLES = (
    "Talk ratio: your share of the talk time against the prospect's",
    "Pace: your words per minute against the reference band",
    "Filler words by word",
    "Sentiment over the call (-1 negative to 1 positive)",
    "Skill scores, 1 to 5",
    "Coaching moments on the call's timeline",
)


async def test_a_rep_opens_their_history_and_reads_the_report_on_desktop_and_phone(
    page, app, client, owner_url
):
    tokens = await rep(client, app, owner_url)
    await finished_text_call(client, app, tokens, *LINES[:2])
    sid = await finished_text_call(client, app, tokens, *LINES)
    report = (await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))).json()
    assert report["status"] == "ready"
    metrics = report["metrics"]

    await log_in(page, tokens["email"])
    await page.get_by_role("link", name="History").click()
    await page.wait_for_url("**/history")
    await page.get_by_role("heading", name="History", level=1).wait_for()
    rows = page.locator("table.calls tbody tr")
    assert await rows.count() == 2
    newest = await rows.first.inner_text()
    assert "ready" in newest and "/ 5" in newest  # the headline score
    await shoot(page, "history")

    await page.locator(f"#call-{sid} a").click()
    await page.wait_for_url(f"**/history/{sid}")
    await page.get_by_role("heading", name="Feedback", level=2).wait_for()
    scenario = (await client.get(f"/api/sessions/{sid}", headers=bearer(tokens))).json()
    assert await page.locator("h1").inner_text() == scenario["scenario"]["name"]
    for title in (*CHART_TITLES, "Progress: your overall score over the latest scored calls"):
        chart = page.locator("svg[role=img]").filter(has=page.locator("title", has_text=title))
        assert await chart.count() == 1, title
    # the transcript, speaker, text and time
    assert await page.locator("ol.turns li").count() >= len(LINES)
    await page.get_by_text(LINES[0]).first.wait_for()
    # skill scores and their evidence, as the API reports them
    for key, skill in metrics["skill_scores"].items():
        text = await page.locator(f"#skill-{key}").inner_text()
        if skill["status"] == "scored":
            assert f"{skill['score']} / 5" in text
        for quote in skill["evidence"]:
            assert quote in text
    quotes = [q for s in metrics["skill_scores"].values() for q in s["evidence"]]
    assert quotes, "the report has evidence quotes"
    # the moments: one marker per moment on the timeline
    markers = page.locator("svg#chart-moments g.moment")
    assert await markers.count() == len(metrics["moments"]) > 0
    # the progress chart: one point per scored call
    assert await page.locator("svg#chart-progress circle.point").count() == 2
    # numbers for screen readers: the hidden tables are there
    assert await page.locator("figure[data-chart=chart-skills] table caption").count() == 1
    await shoot(page, "report-desktop")

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.reload()
    await page.get_by_role("heading", name="Feedback", level=2).wait_for()
    # nothing wider than the phone's screen: the charts scale
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = await page.evaluate(  # what sticks out, should it fail
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 400).slice(0, 8)"
        ".map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)")
    assert overflow <= 0, wide
    folder = (await shoot(page, "report-phone")).parent
    for heading in ("h-talk", "h-skills"):  # what a phone's screen shows, at its scale
        await page.locator(f"#{heading}").scroll_into_view_if_needed()
        await page.screenshot(path=str(folder / f"report-phone-{heading}.png"))
    await page.goto("/history")
    await shoot(page, "history-phone")


async def test_a_waiting_report_turns_into_the_report_without_a_reload(page, app, client,
                                                                       owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    said = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                             json={"text": LINES[1]})
    assert said.status_code == 200
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    assert ended.json()["feedback_status"] == "pending"

    await log_in(page, tokens["email"])
    await page.goto(f"/history/{sid}")
    await page.get_by_text("Your feedback is being prepared").wait_for()
    await page.evaluate("window.__marker = 'same page'")  # gone if the page reloads
    await shoot(page, "report-pending")

    await drain_jobs(app)
    await page.get_by_role("heading", name="Skill scores").wait_for()
    assert await page.evaluate("window.__marker") == "same page"
    assert await page.get_by_text("Your feedback is being prepared").count() == 0
    assert await page.locator("section#feedback[hx-get]").count() == 0  # polling stopped
    await shoot(page, "report-arrived")


async def test_a_waiting_page_whose_sign_in_ended_goes_to_the_login_page_and_back(
    page, app, client, owner_url
):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    await log_in(page, tokens["email"])
    await page.goto(f"/history/{sid}")
    await page.get_by_text("still in progress").wait_for()
    await page.context.clear_cookies()  # signed out elsewhere, say
    await page.wait_for_url(f"**/login?next=%2Fhistory%2F{sid}")
    assert await page.locator("section#feedback").count() == 0
    await page.get_by_label("Email").fill(tokens["email"])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"**/history/{sid}")
    await page.get_by_role("heading", name="Feedback").wait_for()
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))


async def test_a_call_graded_on_a_scorecard_shows_each_criterion_with_its_evidence(
    page, app, client, owner_url
):
    """Issue 17: the report page shows the scenario's scorecard, as scored (version, criteria,
    verbatim evidence), accessible and fitting a phone."""
    tokens = await rep(client, app, owner_url)  # the company's admin
    scorecard = await client.post("/api/scorecards", headers=bearer(tokens),
                                  json={"template": "bant"})
    assert scorecard.status_code == 201, scorecard.text
    scenario = await created(client, tokens, scorecard_id=scorecard.json()["id"], language="en")
    sid = await finished_text_call(
        client, app, tokens, "What budget do you have set aside for this?",
        "When do you need it running, before the end of the quarter?",
        scenario_id=scenario["id"])
    card = (await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))).json()[
        "metrics"]["scorecard"]
    quoted = next(c for c in card["criteria"] if c["evidence"])

    await log_in(page, tokens["email"])
    await page.goto(f"/history/{sid}")
    section = page.locator("section#scorecard")
    await section.get_by_role("heading", name=card["name"]).wait_for()
    assert await section.get_by_text(f"version {card['version']} of the scorecard").count() == 1
    assert await section.locator("li.skill").count() == len(card["criteria"])
    evidence = section.get_by_role("list", name=f"Evidence for {quoted['name']}")
    assert await evidence.get_by_text(quoted["evidence"][0]).count() == 1
    await assert_accessible(page)
    await fits_a_phone(page)
