"""The analytics pages in Chromium: a rep's progress (figures, skills with trend, day by day),
the leaderboard off then on, and the admin's team table with its CSV download; reps are kept
out of the team page. Fixture calls as in tests/analytics, dated in the default window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.admin.helpers import company
from tests.analytics.helpers import add_call, metrics, set_user
from tests.auth.helpers import PASSWORD, bearer
from tests.web.accessibility import assert_accessible
from tests.web.conftest import shoot
from tests.web.helpers import browser_client, fits_a_phone, form_post, log_in


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).replace(hour=12, minute=0, second=0,
                                                               microsecond=0).isoformat()


async def _checked(page, name: str) -> None:
    await shoot(page, name)
    await assert_accessible(page)
    await fits_a_phone(page)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def _acme(client, app, owner_url):
    acme = await company(client, app, owner_url, "acme")
    set_user(owner_url, acme.rep["email"], name="Rita Rep")
    set_user(owner_url, acme.admin["email"], name="Ada Admin")
    # discovery 2 then 4: mean 3.00, slope 2 per call = +20.00 per 10 calls
    add_call(owner_url, acme.rep["email"], _days_ago(3), score=2.0, minutes=5,
             metrics_body=metrics(talk_ratio=0.6, fillers=4.0, questions=2.0,
                                  skills={"discovery": 2, "closing": None}))
    add_call(owner_url, acme.rep["email"], _days_ago(2), score=4.0, minutes=7,
             metrics_body=metrics(talk_ratio=0.4, fillers=2.0, questions=6.0,
                                  skills={"discovery": 4, "closing": 3}))
    return acme


async def test_a_rep_sees_their_progress_and_the_leaderboard_once_it_is_on(
    page, client, app, owner_url,
):
    acme = await _acme(client, app, owner_url)
    await log_in(page, acme.rep["email"], PASSWORD)
    await page.get_by_role("link", name="Progress").click()
    await page.get_by_role("heading", name="Your progress").wait_for()
    # Whitespace is normalised: whether a figure and its label break onto two lines is
    # layout (it depends on when the stylesheet applies), not what the page says.
    figures = " ".join((await page.locator(".figures").inner_text()).split())
    assert "2 calls" in figures and "12 minutes" in figures and "3.00 average score" in figures
    assert "50% of the talking" in figures
    discovery = page.get_by_role("row", name="Discovery")
    assert "3.00" in await discovery.inner_text()
    assert "+20.00" in await discovery.inner_text()
    assert await page.locator("table.series tbody tr").count() == 2
    await _checked(page, "progress")

    await page.get_by_role("link", name="Leaderboard").click()
    await page.get_by_text("The leaderboard is off for your company.").wait_for()
    await _checked(page, "leaderboard-off")
    on = await client.patch("/api/admin/company", json={"leaderboard_enabled": True},
                            headers=bearer(acme.admin))
    assert on.status_code == 200, on.text
    await page.reload()
    row = page.get_by_role("row", name="Rita Rep (you)")
    assert (await row.inner_text()).split() == ["1", "Rita", "Rep", "(you)", "3.00", "2"]
    await _checked(page, "leaderboard")

    denied = await page.goto("/admin/analytics")
    assert denied is not None and denied.status == 403


async def test_an_admin_reads_the_team_table_and_downloads_it(page, client, app, owner_url):
    acme = await _acme(client, app, owner_url)
    await log_in(page, acme.admin["email"], PASSWORD)
    await page.goto("/admin/team")
    await page.get_by_role("link", name="Analytics").click()
    await page.get_by_role("heading", name="Admin: team analytics").wait_for()
    rita = page.get_by_role("row", name="Rita Rep")
    cells = await rita.locator("td").all_inner_texts()
    assert cells[:3] == ["2", "12", "3.00"]
    assert "0 of 0" in cells[-1]
    await _checked(page, "team")

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Download as CSV").click()
    download = await info.value
    text = (await download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("user_id,name,disabled,calls,minutes,score_average")
    assert any(line.split(",")[1:5] == ["Rita Rep", "False", "2", "12"]
               for line in text.splitlines())


async def test_the_csv_route_refuses_reps(app, client, owner_url):
    acme = await company(client, app, owner_url, "acme")
    async with browser_client(app) as browser:
        await form_post(browser, "/login", "/login",
                        {"email": acme.rep["email"], "password": PASSWORD})
        assert (await browser.get("/admin/analytics.csv")).status_code == 403
