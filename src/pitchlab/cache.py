"""The application cache for frequent reads: get/set/delete with a time to live, in this process's
memory by default, in Redis when ``PITCHLAB_REDIS_URL`` is set (shared by every API process and
worker, so a change made in one is seen by all).

Each ``Database`` owns one, and hands it to every unit of work (``of(session)``), so that a
service reads through it with the session it already has. A service that changes what an entry
caches calls ``invalidate_on_commit(session, key)``: the entry is deleted once the transaction has
committed (``Database.transaction`` sees to it), never before, so no reader can put the old value
back from a transaction that has not committed yet; a rolled-back change deletes nothing.

What stays stale, and for how long at most (the TTL, ``PITCHLAB_CACHE_TTL_SECONDS``): a reader that
read before the commit and writes its value after the delete; rows changed behind the app's back
(SQL by hand); and, without Redis, a change made by another process (a separate ``pitchlab
worker``). A deployment of several processes sets ``PITCHLAB_REDIS_URL``.

Values are strings (the caller chooses the encoding). Redis down is a cache miss, never an error:
the read goes to the database and a warning is logged.

This module imports nothing of Pitchlab's (``pitchlab.db`` imports it, and ``pitchlab.kit``
imports the job queue, which imports ``pitchlab.db``: a cache in ``kit`` would make a cycle).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as redis
from pydantic import SecretStr
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 60.0
_SESSION_CACHE = "pitchlab.cache"
_SESSION_STALE = "pitchlab.cache.stale"


class Cache(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        """Keep ``value`` for ``ttl_seconds`` (the cache's own TTL when None)."""

    async def delete(self, *keys: str) -> None: ...

    async def aclose(self) -> None: ...


class MemoryCache:
    """This process's cache: bounded (the least recently used entry goes first), expiring."""

    def __init__(self, ttl_seconds: float = DEFAULT_TTL_SECONDS, *, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        self._entries[key] = (self._clock() + (ttl_seconds or self.ttl_seconds), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    async def aclose(self) -> None:
        self._entries.clear()


class RedisCache:
    """The cache shared by every process, under one key prefix in the configured database."""

    PREFIX = "pitchlab:cache:"

    def __init__(self, url: str, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        self.ttl_seconds = ttl_seconds
        # Short timeouts: a cache that does not answer must cost a read little more than a miss.
        self._redis: Any = redis.Redis.from_url(
            url, socket_timeout=1.0, socket_connect_timeout=1.0, decode_responses=True
        )

    async def get(self, key: str) -> str | None:
        try:
            value = await self._redis.get(self.PREFIX + key)
        except RedisError as error:
            _unavailable("read", error)
            return None
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        ttl_ms = max(1, int((ttl_seconds or self.ttl_seconds) * 1000))
        try:
            await self._redis.set(self.PREFIX + key, value, px=ttl_ms)
        except RedisError as error:
            _unavailable("write", error)

    async def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            await self._redis.delete(*(self.PREFIX + key for key in keys))
        except RedisError as error:
            # The entries stay stale until their TTL: worth an error, not a failed request.
            log.error("cache invalidation failed (%s): %d entries stale for up to %.0f s",
                      type(error).__name__, len(keys), self.ttl_seconds)

    async def aclose(self) -> None:
        await self._redis.aclose()


def _unavailable(what: str, error: RedisError) -> None:
    # The type only: a connection error's text may carry the URL.
    log.warning("cache %s failed (%s): reading from the database", what, type(error).__name__)


def build_cache(redis_url: str | None, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> Cache:
    if redis_url:
        return RedisCache(redis_url, ttl_seconds)
    return MemoryCache(ttl_seconds)


class _CacheSettings(Protocol):
    @property
    def redis_url(self) -> SecretStr | None: ...

    @property
    def cache_ttl_seconds(self) -> float: ...


def cache_from_settings(settings: _CacheSettings) -> Cache:
    """Redis when ``redis_url`` is set (its secret kept out of every message), else memory."""
    url = settings.redis_url.get_secret_value().strip() if settings.redis_url else None
    return build_cache(url or None, settings.cache_ttl_seconds)


# --- the unit of work's cache -----------------------------------------------------------------


class _NoCache:
    """For a session that no ``Database`` made: every read goes to the database."""

    async def get(self, key: str) -> str | None:  # noqa: ARG002 (the Protocol's)
        return None

    async def set(self, key: str, value: str, ttl_seconds: float | None = None) -> None:
        pass

    async def delete(self, *keys: str) -> None:
        pass

    async def aclose(self) -> None:
        pass


_NO_CACHE = _NoCache()


def attach(session: AsyncSession, cache: Cache) -> None:
    """Give a new session the cache of the ``Database`` that made it."""
    session.info[_SESSION_CACHE] = cache


def of(session: AsyncSession) -> Cache:
    """The cache of the unit of work ``session`` (an ``AsyncSession``)."""
    found: Cache = session.info.get(_SESSION_CACHE, _NO_CACHE)
    return found


def invalidate_on_commit(session: AsyncSession, *keys: str) -> None:
    """Delete ``keys`` from the cache once ``session``'s transaction has committed."""
    session.info.setdefault(_SESSION_STALE, set()).update(keys)


async def committed(session: AsyncSession) -> None:
    """``session`` has committed: delete what it changed (``Database.transaction`` calls this)."""
    stale: set[str] | None = session.info.pop(_SESSION_STALE, None)
    if stale:
        await of(session).delete(*sorted(stale))


def rolled_back(session: AsyncSession) -> None:
    """Nothing changed: nothing to delete."""
    session.info.pop(_SESSION_STALE, None)
