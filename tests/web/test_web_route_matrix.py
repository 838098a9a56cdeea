"""Every page and form of the web app, found from the app's routes (so a page is covered the day
it lands), tried the ways a stranger, a forger and another company would try it:

- a page that needs a session sends a browser without one to the login page, and comes back;
- a form post without the page's CSRF token is refused (403) and changes nothing;
- a page or form named with another company's ids answers 404 or 403, shows none of that
  company's data, and changes nothing of it.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from fastapi.dependencies.models import Dependant

from pitchlab.web.install import ROUTERS
from pitchlab.web.routing import WebRoute
from pitchlab.web.session import browser_principal
from tests.auth.helpers import PASSWORD
from tests.http.test_authorization_matrix import Company, company, ids_of, snapshot
from tests.web.helpers import browser_client, csrf_of

PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")
# Valid values for the fields the web forms take, so that a refusal comes from the foreign id,
# not from a missing field.
PLAUSIBLE = {"text": "What does your team need most this quarter?", "role": "user",
             "disabled": "true", "total_minutes": "10", "name": "Forged", "reason": "completed"}


def _needs(dependant: Dependant, call) -> bool:
    return any(d.call is call or _needs(d, call) for d in dependant.dependencies)


def web_routes(_app) -> list[WebRoute]:
    """Every page and form the app serves (install.ROUTERS is what create_app includes)."""
    return [route for router in ROUTERS for route in router.routes
            if isinstance(route, WebRoute)]


def _filled(path: str, value_of) -> str:
    return PARAM.sub(lambda match: quote(str(value_of(match.group(1))), safe=""), path)


def _foreign_paths(path: str, b: Company) -> list[str]:
    """``path`` with company B's ids: by name where the name says which, else each of them."""
    ids = ids_of(b)
    names = PARAM.findall(path)
    if all(name in ids for name in names):
        return [_filled(path, ids.__getitem__)]
    return [_filled(path, lambda _name, v=value: v) for value in dict.fromkeys(ids.values())]


async def _signed_in(client, email: str) -> None:
    token = csrf_of((await client.get("/login")).text)
    response = await client.post("/login", data={
        "csrf_token": token, "email": email, "password": PASSWORD, "next": "/practice"},
        headers={"origin": "https://testserver"})
    assert response.status_code == 303, response.text


async def test_every_page_behind_a_session_sends_a_stranger_to_log_in(app):
    pages = [r for r in web_routes(app) if "GET" in r.methods and _needs(r.dependant,
                                                                        browser_principal)]
    assert pages, "no signed-in page found: is the web app installed?"
    async with browser_client(app) as client:
        for route in pages:
            path = _filled(route.path, lambda _name: uuid.uuid4())
            response = await client.get(path)
            assert response.status_code == 303, (route.path, response.status_code)
            assert response.headers["location"] == "/login?next=" + quote(path, safe="")


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
async def test_every_form_post_without_the_pages_token_changes_nothing(client, app, owner_url,
                                                                       signed_in):
    a = await company(client, app, owner_url)
    posts = [r for r in web_routes(app) if "POST" in r.methods]
    assert posts
    before = snapshot(owner_url, a.company_id)
    async with browser_client(app) as browser:
        if signed_in:
            await _signed_in(browser, a.admin["email"])
        await browser.get("/")  # the browser holds its CSRF cookie; the post lacks the token
        for route in posts:
            path = _filled(route.path, lambda name: ids_of(a).get(name, a.session_id))
            response = await browser.post(path, data={"name": "Forged", "role": "admin"})
            assert response.status_code == 403, (route.path, response.status_code)
    assert snapshot(owner_url, a.company_id) == before


@pytest.mark.parametrize("who", ["admin", "rep"])
async def test_another_companys_ids_are_not_found_and_nothing_of_it_changes(client, app,
                                                                           owner_url, who):
    a = await company(client, app, owner_url)
    b = await company(client, app, owner_url)
    routes = [r for r in web_routes(app) if PARAM.search(r.path)]
    assert routes, "no page or form takes an id: is the web app installed?"
    before = snapshot(owner_url, b.company_id)
    secrets_of_b = [b.rep["email"], b.admin["email"]]
    async with browser_client(app) as browser:
        await _signed_in(browser, (a.admin if who == "admin" else a.rep)["email"])
        for route in routes:
            for path in _foreign_paths(route.path, b):
                if "GET" in route.methods:
                    response = await browser.get(path)
                else:
                    token = csrf_of((await browser.get("/practice")).text)
                    response = await browser.post(path, data={"csrf_token": token, **PLAUSIBLE},
                                                  headers={"origin": "https://testserver"})
                assert response.status_code in (403, 404), (path, response.status_code)
                assert not any(secret in response.text for secret in secrets_of_b), path
    assert snapshot(owner_url, b.company_id) == before
