"""Named domain errors.

A service says *what* went wrong by raising one of these (``QuotaExhausted``, ``ConsentRequired``,
...), never *how* it leaves the process: the HTTP status and the WebSocket close code are decided at
the edge, from one table each (``pitchlab.http.error_catalogue``). Each domain defines its errors in
its own ``errors.py``; each class names exactly one contract code, and a contract code is named by
exactly one class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    """A rule of the domain refused the request. ``code`` is the contract's snake_case code."""

    code: ClassVar[str]
    default_message: ClassVar[str]

    def __init__(
        self, message: str | None = None, *, details: Mapping[str, Any] | None = None
    ) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own rebuilds ``type(self)(*self.args)``, which cannot make a RetryLater
        # (its ``retry_after_seconds`` is keyword-only): copies and pickles rebuild from the state.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[DomainError], args: tuple[Any, ...], state: dict[str, Any]) -> DomainError:
    error = cls.__new__(cls, *args)
    error.__dict__.update(state)
    return error


class RetryLater(DomainError):
    """A refusal the client may try again after ``retry_after_seconds``."""

    def __init__(
        self, message: str | None = None, *, retry_after_seconds: int,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after_seconds = retry_after_seconds


# --- shared errors: codes that more than one domain answers with ---------------------------------
# Each code is defined once, here; a domain that needs another default message subclasses it.


class Unauthorized(DomainError):
    """No valid access token: missing, expired, malformed or ended (the contract's 401)."""

    code = "unauthorized"
    default_message = (
        "Sign in first: send the access token from POST /api/auth/login as "
        "'Authorization: Bearer <access_token>'."
    )


class Forbidden(DomainError):
    """Signed in, but not allowed to do this."""

    code = "forbidden"
    default_message = "You are not allowed to do this."


class NotFound(DomainError):
    """No such thing, or one of another company's (never revealed as existing)."""

    code = "not_found"
    default_message = "Not found."


class EmailNotVerified(DomainError):
    """The account's email address is not confirmed yet."""

    code = "email_not_verified"
    default_message = "Confirm your email address first."


class InvalidCursor(DomainError):
    """A list's ``cursor`` that no page of this list, for this caller, handed out."""

    code = "invalid_cursor"
    default_message = "This cursor is not valid."


class RateLimited(RetryLater):
    """Too many attempts; ``details.retry_after_seconds`` says how long to wait, as does the
    Retry-After header."""

    code = "rate_limited"
    default_message = "Too many attempts. Try again later."

    def __init__(self, message: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(
            message, retry_after_seconds=retry_after_seconds,
            details={"retry_after_seconds": retry_after_seconds},
        )
