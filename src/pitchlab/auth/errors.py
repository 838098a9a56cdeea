"""What sign-up, sign-in and tokens refuse, one class per contract code. (``unauthorized``,
``email_not_verified`` and ``rate_limited`` are shared: ``pitchlab.kit.errors``.)"""

from __future__ import annotations

from pitchlab.kit.errors import DomainError


class InvalidCredentials(DomainError):
    """One answer for an unknown email and a wrong password."""

    code = "invalid_credentials"
    default_message = "Email or password is wrong."


class InvalidToken(DomainError):
    """A refresh token that is unknown, spent, revoked or expired."""

    code = "invalid_token"
    default_message = "This token is not valid."


class InvalidEmailLink(InvalidToken):
    """An email-verification link that is unknown, used already or expired."""

    default_message = "This link is not valid, was used already or has expired."


class InvalidInvite(DomainError):
    code = "invalid_invite"
    default_message = (
        "This invitation is not valid, has expired or was for another email address."
    )


class AccountDisabled(DomainError):
    code = "account_disabled"
    default_message = "This account has been disabled."


class EmailTaken(DomainError):
    code = "email_taken"
    default_message = "A user with this email already exists."


class WeakPassword(DomainError):
    code = "weak_password"
    default_message = "This password is too weak."


class InvalidEmail(DomainError):
    code = "invalid_email"
    default_message = "This is not a valid email address."
