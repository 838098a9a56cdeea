"""Every link in every email Pitchlab sends leads somewhere: a GET on it answers 200.

Each template in notifications/templates.py is rendered with real data (a verification token
that a registration really issued), every link it contains is collected from its text, its
HTML and its list of links (the three must agree), and followed against the app. A new
template without a way to render it here fails ``test_every_template_is_covered``.
"""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from pitchlab.notifications import templates
from pitchlab.notifications.templates import ComposedEmail
from tests.auth.helpers import (
    drain_jobs,
    latest_verification_token,
    outbox,
    register,
    unique_email,
)

URL = re.compile(r"https?://[^\s\"'<>]+")
HREF = re.compile(r'href="([^"]+)"')


def _template_functions() -> dict[str, object]:
    return {
        name: function for name, function in inspect.getmembers(templates, inspect.isfunction)
        if function.__module__ == templates.__name__ and not name.startswith("_")
        and inspect.signature(function).return_annotation in (ComposedEmail, "ComposedEmail")
    }


async def _verify_email(client, app, owner_url, public_url: str) -> ComposedEmail:
    email = unique_email()
    assert (await register(client, email)).status_code == 202
    await drain_jobs(app)
    token = latest_verification_token(owner_url, email)
    return templates.verify_email(public_url, "Riley", token)


async def _account_exists(client, app, owner_url, public_url: str) -> ComposedEmail:
    return templates.account_exists(public_url, "Riley")


def _billing(render):
    async def rendered(client, app, owner_url, public_url: str) -> ComposedEmail:
        return render(public_url)

    return rendered


_SOON = datetime.now(UTC) + timedelta(days=3)
RENDER = {
    "verify_email": _verify_email,
    "account_exists": _account_exists,
    "invitation": _billing(
        lambda url: templates.invitation(url, "Acme", "user", "tok3n", _SOON)
    ),
    "trial_ending": _billing(lambda url: templates.trial_ending(url, "Riley", "Acme", _SOON)),
    "trial_ended": _billing(lambda url: templates.trial_ended(url, "Riley", "Acme")),
    "payment_failed": _billing(lambda url: templates.payment_failed(url, None, "Acme", "$49.00")),
    "subscription_cancelled": _billing(
        lambda url: templates.subscription_cancelled(url, "Riley", "Acme", _SOON)
    ),
    "minutes_low": _billing(lambda url: templates.minutes_low(url, "Riley", "Acme", 240, 300)),
    "minutes_exhausted": _billing(
        lambda url: templates.minutes_exhausted(url, "Riley", "Acme", 300)
    ),
    "demo_requested": _billing(lambda _url: templates.demo_requested(
        name="Pat", email="pat@example.com", company="Globex", start_time=_SOON,
        timezone="Europe/Berlin", notes=None)),
}
# To the sales inbox: a note about a prospect, with nothing to follow.
WITHOUT_LINKS = {"demo_requested"}


def test_every_template_is_covered():
    assert set(_template_functions()) == set(RENDER)


def _links(email: ComposedEmail) -> set[str]:
    from html import unescape

    in_text = set(URL.findall(email.text))
    in_html = {unescape(link) for link in HREF.findall(email.html)}
    assert in_text == in_html == set(email.links), (in_text, in_html, email.links)
    assert email.links or email.kind in WITHOUT_LINKS, f"{email.kind} has no link"
    return set(email.links)


async def _follow(client, link: str) -> None:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == str(client.base_url)  # PITCHLAB_PUBLIC_URL
    response = await client.get(link)
    assert response.status_code == 200, (link, response.status_code, response.text[:200])
    if parts.fragment.startswith("/"):
        await _assert_swagger_operation_exists(client, parts.fragment)


async def _assert_swagger_operation_exists(client, fragment: str) -> None:
    """Swagger UI opens ``#/<tag>/<operationId>``: the operation must be in the description."""
    tag, operation_id = fragment.strip("/").split("/")
    description = (await client.get("/openapi.json")).json()
    operations = [op for path in description["paths"].values() for op in path.values()]
    assert any(
        op.get("operationId") == operation_id and tag in op.get("tags", []) for op in operations
    ), fragment


@pytest.mark.parametrize("kind", sorted(RENDER))
async def test_every_link_of_every_email_answers_200(client, app, owner_url, settings, kind):
    email = await RENDER[kind](client, app, owner_url, settings.public_url)
    assert email.kind == kind
    for link in _links(email):
        await _follow(client, link)


async def test_the_account_exists_email_sent_on_a_second_registration_links_to_sign_in(
    client, app, owner_url
):
    email = unique_email()
    assert (await register(client, email)).status_code == 202
    assert (await register(client, email)).status_code == 202
    await drain_jobs(app)
    notice = [m for m in outbox(owner_url, email) if m["kind"] == "account_exists"][-1]
    assert "POST /api/auth/login" in notice["text"]
    assert notice["links"] and all(link in notice["text"] for link in notice["links"])
    for link in notice["links"]:
        await _follow(client, link)
        assert urlsplit(link).path == "/login"  # the web app's sign-in page
