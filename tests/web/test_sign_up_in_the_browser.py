"""A newcomer in Chromium: landing, sign up, the emailed link, log in, log out."""

from __future__ import annotations

from tests.auth.helpers import PASSWORD, unique_email
from tests.web.accessibility import assert_accessible
from tests.web.conftest import shoot
from tests.web.helpers import emailed_link, fits_a_phone, log_in


async def test_sign_up_verify_from_the_outbox_log_in_and_out(page, app, owner_url):
    email = unique_email("browser")
    await page.goto("/")
    await shoot(page, "landing")
    await assert_accessible(page)
    await page.get_by_role("link", name="Start a free trial").first.click()
    await page.get_by_label("Your name").fill("Riley Rep")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Company name").fill("Acme Browsers")
    await shoot(page, "signup")
    await assert_accessible(page)
    await page.get_by_role("button", name="Create account").click()
    await page.wait_for_url("**/signup/sent")
    await page.get_by_role("heading", name="Check your email").wait_for()
    await shoot(page, "signup-sent")
    await assert_accessible(page)

    link = await emailed_link(app, owner_url, email, "verify_email")
    await page.goto(link)  # the API's link: a browser is sent on to the page
    await page.get_by_role("heading", name="Email confirmed").wait_for()
    assert "/verify-email?token=" in page.url and "/api/" not in page.url
    await shoot(page, "verified")
    await assert_accessible(page)

    await log_in(page, email)
    await page.get_by_text("Hi Riley Rep").wait_for()
    await shoot(page, "practice")
    await assert_accessible(page)
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["__Host-pitchlab_access"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Lax"

    await page.get_by_role("button", name="Log out").click()
    await page.get_by_role("heading", name="Practise sales calls with an AI prospect").wait_for()
    assert not any(c["name"] == "__Host-pitchlab_access" for c in await page.context.cookies())
    await page.goto("/practice")
    await page.wait_for_url("**/login?next=%2Fpractice")


async def test_a_used_link_says_so_and_a_wrong_password_is_shown_on_the_form(page, app,
                                                                              owner_url, client):
    email = unique_email("browser")
    await client.post("/api/auth/register", json={
        "email": email, "password": PASSWORD, "name": "Sam", "company_name": "Acme"})
    link = await emailed_link(app, owner_url, email, "verify_email")
    await page.goto(link)
    await page.get_by_role("heading", name="Email confirmed").wait_for()
    await page.goto(link)
    await page.get_by_role("heading", name="This link does not work").wait_for()

    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("alert").wait_for()
    assert "password" in (await page.get_by_role("alert").inner_text()).lower()
    assert await page.get_by_label("Email").input_value() == email
    await shoot(page, "login-refused")
    await assert_accessible(page)


async def test_the_public_pages_fit_a_phone(page):
    for path, name in (("/", "landing-phone"), ("/signup", "signup-phone"),
                       ("/login", "login-phone")):
        await page.goto(path)
        await fits_a_phone(page)
        await shoot(page, name)
        await assert_accessible(page)
