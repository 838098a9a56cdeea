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


# --- codes more than one domain answers with (each domain subclasses them for its own message) --

class NotFound(DomainError):
    """Nothing the caller may see has this id (another company's row is "not found" too)."""

    code = "not_found"
    default_message = "Not found."


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    code = "forbidden"
    default_message = "You may not do this."


class EmailNotVerified(DomainError):
    """Signing in (auth) and starting a call (practice) both wait for a confirmed address."""

    code = "email_not_verified"
    default_message = "Confirm your email address first."
