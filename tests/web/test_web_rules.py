"""The web app's own rules, through HTTP: CSRF on every form, the session cookies, where a login
may send the browser, security headers, and forms that refuse what the API refuses."""

from __future__ import annotations

import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, drain_jobs, latest_verification_token, unique_email
from tests.factories import confirmed_account
from tests.web.helpers import browser_client, csrf_of, form_post, signed_in_browser

ACCESS = "__Host-pitchlab_access"
REFRESH = "__Host-pitchlab_refresh"


def _users_named(owner_url, email: str) -> int:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT count(*) FROM users WHERE email = %s", (email,)).fetchone()[0]


async def test_a_form_post_without_the_page_token_changes_nothing(app, owner_url):
    email = unique_email("csrf")
    body = {"name": "Eve", "email": email, "password": PASSWORD, "company_name": "Evil"}
    async with browser_client(app) as client:
        await client.get("/signup")  # the browser has its CSRF cookie
        missing = await client.post("/signup", data=body)
        wrong = await client.post("/signup", data={**body, "csrf_token": "0" * 64})
    async with browser_client(app) as other:  # another browser's token
        token = csrf_of((await other.get("/signup")).text)
    async with browser_client(app) as client:
        await client.get("/signup")
        foreign = await client.post("/signup", data={**body, "csrf_token": token})
        cross_site = await client.post("/signup", headers={"origin": "https://evil.example"},
                                       data={**body, "csrf_token": csrf_of(
                                           (await client.get("/signup")).text)})
    for response in (missing, wrong, foreign, cross_site):
        assert response.status_code == 403
        assert "did not come from Pitchlab" in response.text
    assert _users_named(owner_url, email) == 0


async def test_login_sets_httponly_secure_samesite_cookies_and_logout_ends_the_tokens(app):
    async with browser_client(app) as client:
        email = await signed_in_browser(client, app)
        cookies = client.cookies.jar
        set_cookies = {c.name: c for c in cookies}
        assert {ACCESS, REFRESH} <= set(set_cookies)
        assert all(set_cookies[name].secure for name in (ACCESS, REFRESH))
        page = await client.get("/practice")
        assert page.status_code == 200 and "Riley Rep" in page.text
        assert page.headers["cache-control"] == "no-store"
        refresh_token = client.cookies[REFRESH]
        out = await form_post(client, "/practice", "/logout", {})
        assert out.status_code == 303 and out.headers["location"] == "/"
        assert ACCESS not in client.cookies
        after = await client.get("/practice")
        assert after.status_code == 303 and after.headers["location"] == "/login?next=%2Fpractice"
        reused = await client.post("/api/auth/refresh", json={"refresh_token": refresh_token})
        assert reused.status_code == 401, email


async def test_set_cookie_flags(app):
    email = unique_email("flags")
    await confirmed_account(app, email=email, password=PASSWORD)
    async with browser_client(app) as client:
        response = await form_post(client, "/login", "/login",
                                   {"email": email, "password": PASSWORD, "next": ""})
    headers = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    for name in (ACCESS, REFRESH, "__Host-pitchlab_csrf"):
        [line] = [h for h in headers if h.startswith(name + "=")]
        flags = line.lower()
        assert "httponly" in flags and "secure" in flags and "samesite=lax" in flags
        assert "path=/" in flags and "domain" not in flags


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "practice"])
async def test_login_never_sends_the_browser_off_site(app, target):
    email = unique_email("next")
    await confirmed_account(app, email=email, password=PASSWORD)
    async with browser_client(app) as client:
        response = await form_post(client, "/login", "/login",
                                   {"email": email, "password": PASSWORD, "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/practice"


async def test_an_expired_or_ended_access_cookie_is_renewed_from_the_refresh_cookie(app):
    async with browser_client(app) as client:
        await signed_in_browser(client, app)
        old_refresh = client.cookies[REFRESH]
        client.cookies.delete(ACCESS)
        client.cookies.set(ACCESS, "not.a.token", domain="testserver")
        page = await client.get("/practice")
        assert page.status_code == 200
        assert client.cookies[REFRESH] != old_refresh  # rotated, and the rotation kept
        again = await client.get("/practice")
        assert again.status_code == 200


async def test_pages_need_a_session_and_keep_where_they_were_going(app):
    async with browser_client(app) as client:
        response = await client.get("/practice?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fpractice%3Fx%3D1"


async def test_a_refused_form_is_shown_again_with_its_message_and_stores_nothing(app, owner_url):
    async with browser_client(app) as client:
        response = await form_post(client, "/signup", "/signup", {
            "name": "Sam", "email": "not-an-email", "password": PASSWORD,
            "company_name": "Acme"})
        short = await form_post(client, "/signup", "/signup", {
            "name": "Sam", "email": unique_email(), "password": "short",
            "company_name": "Acme"})
    assert response.status_code == 422
    assert 'value="not-an-email"' in response.text and 'aria-invalid="true"' in response.text
    assert PASSWORD not in response.text  # a password is never sent back
    assert short.status_code == 422 and "password" in short.text.lower()
    assert _users_named(owner_url, "not-an-email") == 0


async def test_pages_get_their_own_security_policy_and_the_api_keeps_its_strict_one(app):
    async with browser_client(app) as client:
        page = await client.get("/login")
        api = await client.get("/healthz")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
    assert "microphone=(self)" in page.headers["permissions-policy"]
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert "microphone=()" in api.headers["permissions-policy"]


async def test_the_emailed_link_sends_a_browser_to_the_page_and_answers_api_clients_json(
    client, app, owner_url
):
    email = unique_email("link")
    await client.post("/api/auth/register", json={
        "email": email, "password": PASSWORD, "name": "Sam", "company_name": "Acme"})
    await drain_jobs(app)
    token = latest_verification_token(owner_url, email)
    browser = await client.get("/api/auth/verify-email", params={"token": token},
                               headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 303
    assert browser.headers["location"] == f"/verify-email?token={token}"
    api = await client.get("/api/auth/verify-email", params={"token": token})
    assert api.status_code == 200 and api.json()["message"].startswith("Your email")
    again = await client.get(browser.headers["location"])
    assert again.status_code == 400 and "This link does not work" in again.text


def _demo_requests(owner_url, email: str) -> list[tuple]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT status, timezone FROM demo_bookings WHERE email = %s",
                            (email,)).fetchall()


async def test_the_landing_page_books_a_demo_in_the_visitors_time_zone(app, owner_url):
    email = unique_email("demo")
    async with browser_client(app) as client:
        booked = await form_post(client, "/", "/demo", {
            "name": "Dana Buyer", "email": email, "company": "Globex",
            "start_time": "2031-03-04T10:30", "timezone": "Europe/Berlin", "notes": ""})
        past = await form_post(client, "/", "/demo", {
            "name": "Dana Buyer", "email": "past-" + email, "company": "Globex",
            "start_time": "2001-03-04T10:30", "timezone": "Europe/Berlin", "notes": ""})
        bad_zone = await form_post(client, "/", "/demo", {
            "name": "Dana Buyer", "email": "zone-" + email, "company": "Globex",
            "start_time": "2031-03-04T10:30", "timezone": "Mars/Olympus", "notes": ""})
    assert booked.status_code == 200 and 'id="demo-result"' in booked.text
    assert _demo_requests(owner_url, email) == [("pending", "Europe/Berlin")]
    for refused, address in ((past, "past-" + email), (bad_zone, "zone-" + email)):
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
        assert 'value="Globex"' in refused.text  # what was typed stays
        assert _demo_requests(owner_url, address) == []


async def test_an_invitation_link_opens_the_sign_up_form_with_its_token(app):
    async with browser_client(app) as client:
        page = await client.get("/signup", params={"invite": "tok_1234567890abcdef"})
    assert 'name="invite_token" value="tok_1234567890abcdef"' in page.text
    assert 'name="company_name"' not in page.text and "Join your team" in page.text


async def test_a_browser_gets_pages_for_errors_and_api_clients_keep_the_envelope(app):
    html = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with browser_client(app) as client:
        page = await client.get("/no-such-page", headers=html)
        api = await client.get("/no-such-page")
        api_path = await client.get("/api/no-such-thing", headers=html)
        wrong_method = await client.delete("/login", headers=html)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert api_path.headers["content-type"].startswith("application/json")
    assert wrong_method.status_code == 405 and "allow" in wrong_method.headers


async def test_a_part_of_a_page_asking_without_a_session_moves_the_whole_page_to_login(app):
    async with browser_client(app) as client:
        response = await client.get("/practice", headers={
            "hx-request": "true", "hx-current-url": "https://testserver/practice?tab=2"})
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == "/login?next=%2Fpractice%3Ftab%3D2"
