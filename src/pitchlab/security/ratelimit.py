"""Rate limits on the public endpoints that an attacker would hammer, and the login throttle.

Counters live in memory by default and in Redis when ``PITCHLAB_REDIS_URL`` is set (shared by
every process). If Redis cannot be reached the request goes through and a warning is logged:
an outage of the limiter must not lock everybody out.

Register, resend and demo booking count every attempt, per IP and per email. Login is different
(``LoginThrottle``): it counts failed passwords only, so that signing in never locks anybody out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, WindowStats, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from pitchlab.security.emails import canonical_email

log = logging.getLogger(__name__)

T = TypeVar("T")
# A counter: its tiers (each a moving window) and its key in the limiter's storage.
Scope = tuple[Sequence[RateLimitItem], tuple[str, ...]]


@dataclass(frozen=True)
class Rule:
    per_ip: RateLimitItem
    per_email: RateLimitItem


RULES = {
    "register": Rule(parse("20/hour"), parse("5/hour")),
    "resend_verification": Rule(parse("20/hour"), parse("3/hour")),
    "demo_booking": Rule(parse("10/hour"), parse("3/day")),
    # an admin's invitations: per inviting address, and per invitee (no inbox flooded)
    "invitation": Rule(parse("50/hour"), parse("3/hour")),
}


@dataclass(frozen=True)
class LoginPolicy:
    """Failed logins allowed, as tiers of moving windows: each tier passed makes the wait longer
    (Retry-After grows from minutes to a day), a progressive delay rather than one lockout."""

    per_pair: Sequence[RateLimitItem]   # one email from one address: tight
    per_email: Sequence[RateLimitItem]  # one email from anywhere: loose, only for failed pairs
    per_ip: Sequence[RateLimitItem]     # one address across emails: credential stuffing


LOGIN = LoginPolicy(
    per_pair=(parse("5 per 15 minutes"), parse("20 per day")),
    per_email=(parse("10 per minute"), parse("30 per hour"), parse("100 per day")),
    per_ip=(parse("30 per minute"), parse("300 per hour")),
)


class LimitExceeded(Exception):
    """An attempt over a limit. The caller's domain says what that means to its client (auth:
    ``RateLimited``); this module stays below every domain."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"over a rate limit; retry in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


def _seconds_until(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        uri = redis_url.replace("redis://", "async+redis://", 1) if redis_url else "async+memory://"
        if redis_url and redis_url.startswith("rediss://"):
            uri = redis_url.replace("rediss://", "async+rediss://", 1)
        storage = storage_from_string(uri)
        if not isinstance(storage, Storage):  # an "async+" URI always gives the asyncio kind
            raise TypeError(f"{uri} is not an asyncio storage")
        self.storage: Storage = storage
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def check(self, action: str, *, ip: str, email: str | None = None) -> None:
        """Count one attempt; raise ``LimitExceeded`` when either limit is exceeded."""
        rule = RULES[action]
        checks = [(rule.per_ip, "ip", ip)]
        if email:
            # hashed: the limiter's keys (in Redis too) should not be a list of addresses
            checks.append((rule.per_email, "email", email_key(email)))
        for item, scope, value in checks:
            try:
                allowed = await self.limiter.hit(item, action, scope, value)
                if allowed:
                    continue
                reset_at, _ = await self.limiter.get_window_stats(item, action, scope, value)
            except Exception:  # the limiter's own failure must not fail the request
                log.warning("rate limiter unavailable; letting %s through", action, exc_info=True)
                return
            raise LimitExceeded(_seconds_until(reset_at))

    async def reset(self) -> None:
        await self.storage.reset()


def email_key(email: str) -> str:
    # Canonical: a lookalike of the address shares its counters. Hashed: the limiter's keys (in
    # Redis too) should not be a list of addresses.
    return hashlib.sha256(canonical_email(email.strip()).encode("utf-8")).hexdigest()[:32]


class LoginThrottle:
    """Login attempts for one (email, client address), as OWASP's authentication guidance asks:

    - Only failed passwords are counted (``failed``); a correct one resets the counters of its
      (email, address) pair and of the email (``succeeded``). A script that signs in all day is
      never slowed down.
    - Per (email, address), tightly: 5 failures per 15 minutes, 20 per day.
    - Per email from any address, loosely: 10 per minute, 30 per hour, 100 per day; but this
      counter only applies to addresses that have themselves failed for this email in the last 15
      minutes. An attacker failing from elsewhere therefore never stops the owner signing in from
      an address that has not failed; what it does stop is each of a botnet's addresses having
      more than one guess at an email under attack.
    - Per address across emails: 30 failures per minute, 300 per hour (credential stuffing).
      Never reset by a success, which an attacker could produce with an account of their own.

    The verdict once the password is checked mirrors the one before it: a correct password is
    refused (429) exactly when a wrong one would have been counted over a limit, so the answers
    to a burst of parallel guesses cannot tell the right password apart from the wrong ones.
    Counters in the limiter's storage (memory, or Redis shared by every process); an unreachable
    Redis lets logins through with a warning, as for the other limits.
    """

    def __init__(self, limiter: RateLimiter, *, email: str, ip: str,
                 policy: LoginPolicy = LOGIN) -> None:
        self._limiter = limiter.limiter
        self._policy = policy
        email_id = email_key(email)
        self._pair = ("login_failures", "pair", email_id, ip)
        self._email = ("login_failures", "email", email_id)
        self._ip = ("login_failures", "ip", ip)
        self._pair_has_failed = False

    async def admit(self) -> None:
        """Before the password is checked: ``LimitExceeded`` if this attempt is over a limit
        already."""
        window = self._policy.per_pair[0]
        _, remaining = await self._safely(self._limiter.get_window_stats(window, *self._pair),
                                          WindowStats(0.0, window.amount))
        self._pair_has_failed = remaining < window.amount
        await self._refuse_if_over()

    async def failed(self) -> None:
        """A wrong password: count it everywhere; ``LimitExceeded`` if it went over an applicable
        limit."""
        refused = None
        for tiers, key in self._scopes(everything=True):
            for item in tiers:
                counted = await self._safely(self._limiter.hit(item, *key), True)
                if not counted and refused is None and self._applies(key):
                    refused = (item, key)
        if refused is not None:
            raise LimitExceeded(await self._retry_after(*refused))

    async def succeeded(self) -> None:
        """A correct password: ``LimitExceeded`` if over an applicable limit, else reset the pair
        and email."""
        await self._refuse_if_over()
        for tiers, key in ((self._policy.per_pair, self._pair),
                           (self._policy.per_email, self._email)):
            for item in tiers:
                await self._safely(self._limiter.clear(item, *key), None)

    def _scopes(self, *, everything: bool = False) -> Iterator[Scope]:
        """The counters that decide this attempt (``everything``: that count its failure)."""
        for tiers, key in ((self._policy.per_ip, self._ip), (self._policy.per_pair, self._pair),
                           (self._policy.per_email, self._email)):
            if everything or self._applies(key):
                yield tiers, key

    def _applies(self, key: tuple[str, ...]) -> bool:
        return key != self._email or self._pair_has_failed

    async def _refuse_if_over(self) -> None:
        for tiers, key in self._scopes():
            for item in tiers:
                if not await self._safely(self._limiter.test(item, *key), True):
                    raise LimitExceeded(await self._retry_after(item, key))

    async def _retry_after(self, item: RateLimitItem, key: tuple[str, ...]) -> int:
        reset_at, _ = await self._safely(self._limiter.get_window_stats(item, *key),
                                         WindowStats(time.time() + 1, 0))
        seconds = _seconds_until(reset_at)
        if key == self._email:
            # the email's counter stops applying once this pair's failures are 15 minutes old
            seconds = min(seconds, self._policy.per_pair[0].get_expiry())
        return seconds

    @staticmethod
    async def _safely(operation: Awaitable[T], fallback: T) -> T:
        try:
            return await operation
        except Exception:  # the limiter's own failure must not fail the login
            log.warning("rate limiter unavailable; letting a login through", exc_info=True)
            return fallback
