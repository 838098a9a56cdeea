"""Rate limits on the public endpoints that an attacker would hammer, per IP and per email.

Counters live in memory by default and in Redis when ``PITCHLAB_REDIS_URL`` is set (shared by
every process). If Redis cannot be reached the request goes through and a warning is logged:
an outage of the limiter must not lock everybody out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from limits.aio.strategies import MovingWindowRateLimiter

from pitchlab.errors import AppError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    per_ip: RateLimitItem
    per_email: RateLimitItem


RULES = {
    "login": Rule(parse("30/minute"), parse("10 per 15 minutes")),
    "register": Rule(parse("20/hour"), parse("5/hour")),
    "resend_verification": Rule(parse("20/hour"), parse("3/hour")),
    "demo_booking": Rule(parse("10/hour"), parse("3/day")),
}


class RateLimiter:
    def __init__(self, redis_url: str | None = None) -> None:
        uri = redis_url.replace("redis://", "async+redis://", 1) if redis_url else "async+memory://"
        if redis_url and redis_url.startswith("rediss://"):
            uri = redis_url.replace("rediss://", "async+rediss://", 1)
        self.storage: Storage = storage_from_string(uri)
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def check(self, action: str, *, ip: str, email: str | None = None) -> None:
        """Count one attempt; raise 429 ``rate_limited`` when either limit is exceeded."""
        rule = RULES[action]
        checks = [(rule.per_ip, "ip", ip)]
        if email:
            # hashed: the limiter's keys (in Redis too) should not be a list of addresses
            checks.append((rule.per_email, "email", _digest(email.strip().lower())))
        for item, scope, value in checks:
            try:
                allowed = await self.limiter.hit(item, action, scope, value)
                if allowed:
                    continue
                reset_at, _ = await self.limiter.get_window_stats(item, action, scope, value)
            except Exception:  # noqa: BLE001 - the limiter's own failure must not fail the request
                log.warning("rate limiter unavailable; letting %s through", action, exc_info=True)
                return
            retry_after = max(1, math.ceil(reset_at - time.time()))
            raise AppError(
                "rate_limited",
                "Too many attempts. Try again later.",
                429,
                details={"retry_after_seconds": retry_after},
                headers={"Retry-After": str(retry_after)},
            )

    async def reset(self) -> None:
        await self.storage.reset()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
