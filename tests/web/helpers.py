"""Steps the web tests share: forms through the browser, the outbox's links."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx

from tests.auth.helpers import PASSWORD, drain_jobs, outbox, unique_email
from tests.factories import confirmed_account

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def emailed_link(app, owner_url, to: str, kind: str) -> str:
    """The first link of the newest email of ``kind`` to ``to`` (the queue run first)."""
    await drain_jobs(app)
    mails = [mail for mail in outbox(owner_url, to) if mail["kind"] == kind]
    assert mails, f"no {kind} email to {to}"
    return mails[-1]["links"][0]


async def fits_a_phone(page) -> None:
    """The page, at 390x844, does not scroll sideways."""
    await page.set_viewport_size({"width": 390, "height": 844})
    overflow = await page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways on a phone by {overflow}px"


async def log_in(page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url("**/practice")


@contextlib.asynccontextmanager
async def browser_client(app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that keeps cookies as a browser does, over https (the cookies are Secure:
    httpx, unlike a browser, sends them to http://127.0.0.1 never)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://testserver") as client:
        yield client


async def form_post(client: httpx.AsyncClient, page: str, action: str,
                    data: dict[str, str]) -> httpx.Response:
    """GET ``page`` (its CSRF token), then post ``data`` to ``action`` as its form does."""
    token = csrf_of((await client.get(page)).text)
    return await client.post(action, data={"csrf_token": token, **data},
                             headers={"origin": "https://testserver"})


async def signed_in_browser(client: httpx.AsyncClient, app) -> str:
    """A new company's admin, signed in through the login form; returns the email."""
    email = unique_email("web")
    await confirmed_account(app, email=email, password=PASSWORD)
    response = await form_post(client, "/login", "/login",
                               {"email": email, "password": PASSWORD, "next": "/practice"})
    assert response.status_code == 303 and response.headers["location"] == "/practice"
    return email
