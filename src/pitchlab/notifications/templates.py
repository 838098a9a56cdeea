"""The emails Pitchlab sends. Each returns subject, text, HTML and the links it contains."""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import urlencode

from pitchlab.models.values import EmailKind


@dataclass(frozen=True)
class ComposedEmail:
    kind: EmailKind
    subject: str
    text: str
    html: str
    links: tuple[str, ...]


def _link(public_url: str, path: str, **query: str) -> str:
    return f"{public_url.rstrip('/')}{path}?{urlencode(query)}"


def _html(paragraphs: list[str], link: str | None = None, label: str = "") -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if link:
        body += f'<p><a href="{html.escape(link, quote=True)}">{html.escape(label)}</a></p>'
    return f"<!doctype html><html><body>{body}</body></html>"


def verify_email(public_url: str, name: str | None, token: str) -> ComposedEmail:
    link = _link(public_url, "/api/auth/verify-email", token=token)
    greeting = f"Hi {name}," if name else "Hi,"
    lines = [
        greeting,
        "Confirm your email address to start practising with Pitchlab.",
        "The link works once and expires in 24 hours.",
    ]
    return ComposedEmail(
        kind=EmailKind.VERIFY_EMAIL,
        subject="Confirm your email for Pitchlab",
        text="\n\n".join([*lines, link]),
        html=_html(lines, link, "Confirm my email"),
        links=(link,),
    )


# Where "sign in instead" leads while Pitchlab has no web app of its own: the interactive API
# documentation, opened at the login operation (Swagger UI's deep link, #/<tag>/<operationId>),
# where "Try it out" signs in. tests/auth/test_email_links.py follows every link of every email.
SIGN_IN_PAGE = "/docs#/auth/login_api_auth_login_post"


def account_exists(public_url: str, name: str | None) -> ComposedEmail:
    link = f"{public_url.rstrip('/')}{SIGN_IN_PAGE}"
    greeting = f"Hi {name}," if name else "Hi,"
    lines = [
        greeting,
        (
            "Somebody tried to create a Pitchlab account with this email address, which already "
            "has one. If it was you, sign in instead (POST /api/auth/login; the page below lets "
            "you try it). If you never confirmed your address, ask for a new link with "
            "POST /api/auth/resend-verification. If it was not you, you can ignore this email: "
            "nothing changed on your account."
        ),
    ]
    return ComposedEmail(
        kind=EmailKind.ACCOUNT_EXISTS,
        subject="You already have a Pitchlab account",
        text="\n\n".join([*lines, link]),
        html=_html(lines, link, "Sign in to Pitchlab"),
        links=(link,),
    )
