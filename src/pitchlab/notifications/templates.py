"""The emails Pitchlab sends. Each returns subject, text, HTML and the links it contains."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
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


# Where "sign in instead" leads: the web app's login page (pitchlab.web).
# tests/auth/test_email_links.py follows every link of every email.
SIGN_IN_PAGE = "/login"


def account_exists(public_url: str, name: str | None) -> ComposedEmail:
    link = f"{public_url.rstrip('/')}{SIGN_IN_PAGE}"
    greeting = f"Hi {name}," if name else "Hi,"
    lines = [
        greeting,
        (
            "Somebody tried to create a Pitchlab account with this email address, which already "
            "has one. If it was you, sign in instead (the page below, or POST /api/auth/login). "
            "If you never confirmed your address, ask for a new link through the sign-in "
            "page's \"No confirmation email?\" link or with POST /api/auth/resend-verification. "
            "If it was not you, you can ignore this email: nothing changed on your account."
        ),
    ]
    return ComposedEmail(
        kind=EmailKind.ACCOUNT_EXISTS,
        subject="You already have a Pitchlab account",
        text="\n\n".join([*lines, link]),
        html=_html(lines, link, "Sign in to Pitchlab"),
        links=(link,),
    )


# Where an invitee signs up: the web app's sign-up page, the token filled in.
REGISTER_PAGE = "/signup"


def invitation(
    public_url: str, company_name: str, role: str, token: str, expires_at: datetime
) -> ComposedEmail:
    link = _link(public_url, REGISTER_PAGE, invite=token)
    lines = [
        "Hi,",
        f"You are invited to join {company_name} on Pitchlab as {'an' if role == 'admin' else 'a'}"
        f" {role}.",
        "Create your account on the page below, or with POST /api/auth/register, giving your "
        f"email, a password, your name and this invite_token: {token}",
        f"The invitation works once and expires on {expires_at.astimezone(UTC):%Y-%m-%d %H:%M} "
        "UTC. If you did not expect it, you can ignore this email.",
    ]
    return ComposedEmail(
        kind=EmailKind.INVITATION,
        subject=f"Join {company_name} on Pitchlab",
        text="\n\n".join([*lines, link]),
        html=_html(lines, link, "Create my account"),
        links=(link,),
    )


# --- billing: to a company's admins (billing/notices.py sends each once) -------------------------

# Where "manage billing" leads: the web app's billing page, through the login page (which sends
# a browser already signed in straight on, and one that is not there after signing in).
BILLING_PAGE = "/login?next=%2Fadmin%2Fbilling"


def _billing_email(
    kind: EmailKind, public_url: str, name: str | None, subject: str, body: list[str]
) -> ComposedEmail:
    link = f"{public_url.rstrip('/')}{BILLING_PAGE}"
    lines = [
        f"Hi {name}," if name else "Hi,",
        *body,
        "Manage the subscription, payment method and invoices with POST /api/billing/portal "
        "(the page below lets you try it).",
    ]
    return ComposedEmail(
        kind=kind, subject=subject, text="\n\n".join([*lines, link]),
        html=_html(lines, link, "Manage billing"), links=(link,),
    )


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%d %B %Y")


def trial_ending(public_url: str, name: str | None, company: str, ends_at: datetime
                 ) -> ComposedEmail:
    return _billing_email(
        EmailKind.TRIAL_ENDING, public_url, name, f"Your Pitchlab trial ends on {_day(ends_at)}",
        [f"The Pitchlab trial of {company} ends on {_day(ends_at)} (UTC). Subscribe to a plan "
         "(GET /api/plans, then POST /api/subscriptions/subscribe) to keep practising."],
    )


def trial_ended(public_url: str, name: str | None, company: str) -> ComposedEmail:
    return _billing_email(
        EmailKind.TRIAL_ENDED, public_url, name, "Your Pitchlab trial has ended",
        [f"The Pitchlab trial of {company} has ended, so nobody in it can start a practice "
         "call. Subscribe to a plan (GET /api/plans, then POST /api/subscriptions/subscribe) to "
         "continue; your sessions and feedback are kept."],
    )


def payment_failed(public_url: str, name: str | None, company: str, amount: str
                   ) -> ComposedEmail:
    return _billing_email(
        EmailKind.PAYMENT_FAILED, public_url, name, "Your Pitchlab payment failed",
        [f"We could not collect the payment of {amount} for {company}'s Pitchlab subscription. "
         "Practice continues while Stripe retries; update the payment method to keep it that "
         "way."],
    )


def subscription_cancelled(public_url: str, name: str | None, company: str,
                           ends_at: datetime | None) -> ComposedEmail:
    when = (f"Practice stays open until {_day(ends_at)} (UTC), the end of the paid period."
            if ends_at and ends_at > datetime.now(UTC) else "Practice calls are closed now.")
    return _billing_email(
        EmailKind.SUBSCRIPTION_CANCELLED, public_url, name,
        "Your Pitchlab subscription is cancelled",
        [f"The Pitchlab subscription of {company} is cancelled. {when} Subscribe again at any "
         "time; sessions and feedback are kept."],
    )


def minutes_low(public_url: str, name: str | None, company: str, used: int, total: int
                ) -> ComposedEmail:
    return _billing_email(
        EmailKind.MINUTES_LOW, public_url, name, "80% of your Pitchlab minutes are used",
        [f"{company} has used {used} of its {total} practice minutes for this period. Buy a "
         "top-up (POST /api/billing/top-ups; GET /api/billing/top-ups lists the packs) or move "
         "to a larger plan (POST /api/subscriptions/subscribe) before they run out."],
    )


def minutes_exhausted(public_url: str, name: str | None, company: str, total: int
                      ) -> ComposedEmail:
    return _billing_email(
        EmailKind.MINUTES_EXHAUSTED, public_url, name, "Your Pitchlab minutes are used up",
        [f"{company} has used all {total} practice minutes of this period: no new call can "
         "start until the next period begins, a top-up adds minutes (POST /api/billing/top-ups) "
         "or the company moves to a larger plan (POST /api/subscriptions/subscribe)."],
    )


def demo_requested(*, name: str, email: str, company: str, start_time: datetime, timezone: str,
                   notes: str | None) -> ComposedEmail:
    """To the sales inbox, for every demo request, whether Calendly booked it or not."""
    lines = [
        f"{name} <{email}> of {company} asked for a demo at "
        f"{start_time.astimezone(UTC).strftime('%d %B %Y %H:%M')} UTC (their time zone: "
        f"{timezone}).",
        f"Notes: {notes}" if notes else "No notes.",
        "Pitchlab asks Calendly to book it; if Calendly cannot, the request stays pending "
        "(retried while Calendly is down), so follow up with the prospect.",
    ]
    return ComposedEmail(kind=EmailKind.DEMO_REQUESTED, subject=f"Demo request from {company}",
                         text="\n\n".join(lines), html=_html(lines), links=())
