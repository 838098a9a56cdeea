"""Password hashing with bcrypt. Hashing is slow on purpose, so callers on the event loop use
the ``*_async`` variants, which run it on threads of its own at the lowest CPU priority."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt

log = logging.getLogger(__name__)

# bcrypt's own floor: allowed so that a test suite can hash in microseconds, never in production.
MIN_ROUNDS = 4
# The least cost a real deployment may run with (the default); each step doubles the work.
PRODUCTION_MIN_ROUNDS = 12

MIN_LENGTH = 8
# bcrypt reads at most 72 bytes; a longer password would be silently truncated, so it is refused.
MAX_BYTES = 72


class WeakPasswordError(ValueError):
    pass


def validate_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a password needs at least {MIN_LENGTH} characters")
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise WeakPasswordError(f"a password can be at most {MAX_BYTES} bytes in UTF-8")


def warn_if_below_production_cost(rounds: int) -> None:
    """Say at startup that the configured cost is fit for tests only; a warning, not a cap, so
    that the setting does what it says."""
    if rounds < PRODUCTION_MIN_ROUNDS:
        log.warning(
            "PITCHLAB_BCRYPT_ROUNDS=%d is below %d: passwords hashed now are cheap to crack. "
            "Fine for tests, never for production (unset it for the default %d).",
            rounds, PRODUCTION_MIN_ROUNDS, PRODUCTION_MIN_ROUNDS,
        )


def hash_password(password: str, rounds: int) -> str:
    validate_password(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_BYTES:
        return False
    return bcrypt.checkpw(encoded, hashed.encode("ascii"))


def needs_rehash(hashed: str, rounds: int) -> bool:
    """True when ``hashed`` was made with a lower cost than the one now configured."""
    try:
        return int(hashed.split("$")[2]) < rounds
    except (IndexError, ValueError):
        return True


# Niceness of the hashing threads. Enough for the event loop to preempt them (login_storm.py,
# same run: /healthz p99 during 20 logins 15.4 ms at 5, 13.8 at 10, 10.4 at 19); not 19, whose
# CFS weight (15 against 1024) leaves a hash 1.4 % of a core beside any busy thread: a cost-12
# check then took over 10 s under the test suite's load (a fuzzed DELETE /api/users/me timed
# out). At 5 (weight 335) a hash keeps a quarter of a contended core.
HASHING_NICENESS = 5


def _yield_to_the_event_loop() -> None:
    """Run this hashing thread at a lower CPU priority (Linux sets niceness per thread).
    bcrypt releases the GIL, yet a storm of logins keeps every core busy hashing, and the event
    loop's thread, woken for a request, queued behind those hashes for a core (benchmarks/
    login_storm.py: /healthz p99 127 ms beside 43 ms niced, 20 logins at once). Niced, it
    preempts them; hashing still takes every idle cycle. The cost: on a machine busy with other
    work, logins wait longer for it."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux: the priority stays
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def _cores() -> int:
    """The cores this process may run on (a container's CPU set), where the OS says."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# One thread per core: more would only interleave the same hashes, each finishing later. Apart
# from asyncio's default executor, so that a storm of logins never queues other blocking work.
_hashing = ThreadPoolExecutor(max_workers=_cores(), thread_name_prefix="password-hash",
                              initializer=_yield_to_the_event_loop)


async def hash_password_async(password: str, rounds: int) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_hashing, hash_password, password, rounds)


async def verify_password_async(password: str, hashed: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_hashing, verify_password, password, hashed)
