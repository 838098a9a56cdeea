"""The platform operator in Chromium: the companies with their minutes, and a company's quota."""

from __future__ import annotations

from tests.auth.helpers import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    PASSWORD,
    signed_in_operator,
    unique_email,
)
from tests.factories import confirmed_account
from tests.web.conftest import shoot
from tests.web.helpers import log_in


async def test_the_operator_sets_a_companys_minutes(page, app, client, owner_url, monkeypatch,
                                                     tmp_path):
    await confirmed_account(app, email=unique_email("acme"), password=PASSWORD,
                            company="Acme Rockets")
    assert (await signed_in_operator(client, owner_url, monkeypatch, tmp_path)).status_code == 200
    await log_in(page, OPERATOR_EMAIL, OPERATOR_PASSWORD)
    await page.get_by_role("link", name="Companies").click()
    await page.get_by_role("heading", name="Companies").wait_for()
    row = page.locator("tr", has_text="Acme Rockets")
    await row.get_by_text("0 of 60").wait_for()  # the trial's minutes
    await shoot(page, "companies")

    minutes = row.get_by_label("Total minutes of Acme Rockets")
    await minutes.fill("-5")
    await minutes.evaluate("input => input.removeAttribute('min')")  # past the browser's check
    await row.get_by_role("button", name="Set minutes").click()
    await page.get_by_text("Please correct the fields marked below.").wait_for()
    await page.locator("tr", has_text="Acme Rockets").get_by_role("alert").wait_for()
    assert await minutes.get_attribute("aria-invalid") == "true"
    await shoot(page, "companies-refused")

    row = page.locator("tr", has_text="Acme Rockets")
    await row.get_by_label("Total minutes of Acme Rockets").fill("300")
    await row.get_by_role("button", name="Set minutes").click()
    await page.get_by_text("The company's minutes are saved.").wait_for()
    await page.locator("tr", has_text="Acme Rockets").get_by_text("0 of 300").wait_for()
    await page.set_viewport_size({"width": 390, "height": 844})
    await shoot(page, "companies-phone")
