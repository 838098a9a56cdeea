"""Settings in Chromium: name, an API key (masked), consents, the export download, deleting
the account; and the settings forms' rules over HTTP."""

from __future__ import annotations

import json

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, unique_email
from tests.factories import confirmed_account
from tests.web.conftest import shoot
from tests.web.helpers import browser_client, form_post, log_in, signed_in_browser

OPENAI_KEY = "sk-test-0123456789abcdefWXYZ"


def _account(owner_url, email: str):
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT name, api_keys FROM users WHERE email = %s",
                            (email,)).fetchone()


async def test_settings_name_key_consents_export_and_delete(page, app, owner_url):
    email = unique_email("settings")
    await confirmed_account(app, email=email, password=PASSWORD)
    await log_in(page, email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    await page.get_by_role("heading", name="Settings", exact=True).wait_for()
    await page.set_viewport_size({"width": 390, "height": 844})
    await shoot(page, "settings-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})

    await page.get_by_label("Your name").fill("Nova Name")
    await page.get_by_role("button", name="Save name").click()
    await page.get_by_text("Your name is saved.").wait_for()
    assert await page.get_by_label("Your name").input_value() == "Nova Name"

    await page.get_by_label("OpenAI API key").fill(OPENAI_KEY)
    await page.get_by_role("button", name="Save OpenAI key").click()
    await page.get_by_text("Your API key is saved.").wait_for()
    await page.locator("#key-openai").get_by_text("Configured, ending in WXYZ").wait_for()
    assert OPENAI_KEY not in await page.content()
    assert OPENAI_KEY[:-4] not in await page.content()

    await page.get_by_role("button", name="Grant Marketing email").click()
    await page.get_by_text("Your consent choice is recorded.").wait_for()
    await page.locator("#consent-marketing").get_by_text("Granted").wait_for()
    await page.get_by_role("button", name="Withdraw Marketing email").click()
    await page.locator("#consent-marketing").get_by_text("Withdrawn").wait_for()
    await shoot(page, "settings")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download my data").click()
    download = await download_info.value
    exported = json.loads(open(await download.path()).read())  # noqa: SIM115, ASYNC230
    assert exported["profile"]["email"] == email and exported["profile"]["name"] == "Nova Name"
    assert exported["profile"]["api_keys"]["openai"] == {"configured": True, "last4": "WXYZ"}
    assert {c["kind"] for c in exported["consents"]} == {"marketing"}

    await page.get_by_role("link", name="Delete my account").click()
    await page.get_by_role("heading", name="Delete your account").wait_for()
    await page.get_by_label("Password").fill("wrong password")
    await page.get_by_role("button", name="Delete my account for good").click()
    await page.get_by_role("alert").wait_for()
    await shoot(page, "delete-refused")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Delete my account for good").click()
    await page.get_by_role("heading", name="Practise sales calls with an AI prospect").wait_for()
    assert await page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Log in").count() == 1
    assert not any(c["name"] == "__Host-pitchlab_access" for c in await page.context.cookies())

    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("alert").wait_for()
    assert "/login" in page.url
    assert _account(owner_url, email) is None


async def test_a_new_password_ends_the_session_and_says_so(page, app):
    email = unique_email("password")
    await confirmed_account(app, email=email, password=PASSWORD)
    await log_in(page, email)
    await page.goto("/settings")
    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password").fill("a brand new passphrase")
    await page.get_by_role("button", name="Change password").click()
    await page.get_by_role("heading", name="Password changed").wait_for()
    await page.get_by_text("Every session has ended").wait_for()
    await shoot(page, "password-changed")
    await page.goto("/settings")
    await page.wait_for_url("**/login?next=%2Fsettings")
    await log_in(page, email, "a brand new passphrase")


async def test_settings_need_a_session(app):
    async with browser_client(app) as client:
        for path in ("/settings", "/settings/export", "/settings/delete"):
            response = await client.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")


async def test_settings_forms_refuse_bad_input_and_missing_csrf_and_store_nothing(
        app, owner_url):
    async with browser_client(app) as client:
        email = await signed_in_browser(client, app)
        short = await form_post(client, "/settings", "/settings/api-keys",
                                {"provider": "openai", "key": "short"})
        assert short.status_code == 422 and "Please correct" in short.text
        unknown = await form_post(client, "/settings", "/settings/api-keys",
                                  {"provider": "evil", "key": OPENAI_KEY})
        assert unknown.status_code == 422
        blank = await form_post(client, "/settings", "/settings/profile", {"name": ""})
        assert blank.status_code == 422
        wrong = await form_post(client, "/settings", "/settings/password",
                                {"current_password": "not it", "new_password": "whatever123"})
        assert wrong.status_code == 403 and 'action="/settings/password"' in wrong.text
        consent = await form_post(client, "/settings", "/settings/consents",
                                  {"kind": "everything", "granted": "true"})
        assert consent.status_code == 422
        await client.get("/settings")
        for action, data in (("/settings/profile", {"name": "Mallory"}),
                             ("/settings/api-keys", {"provider": "openai", "key": OPENAI_KEY}),
                             ("/settings/consents", {"kind": "marketing", "granted": "true"}),
                             ("/settings/password", {"current_password": PASSWORD,
                                                     "new_password": "x" * 12}),
                             ("/settings/delete", {"password": PASSWORD})):
            response = await client.post(action, data=data)
            assert response.status_code == 403, action
        assert (await client.get("/settings")).status_code == 200  # still signed in
        page = await client.get("/settings")
        assert "Not asked yet" in page.text and "Granted" not in page.text
    assert _account(owner_url, email) == ("Riley Rep", None)
