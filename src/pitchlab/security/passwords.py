"""Password hashing with bcrypt. Hashing is slow on purpose, so callers on the event loop use
the ``*_async`` variants, which run it in a worker thread."""

from __future__ import annotations

import asyncio
import logging

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


async def hash_password_async(password: str, rounds: int) -> str:
    return await asyncio.to_thread(hash_password, password, rounds)


async def verify_password_async(password: str, hashed: str) -> bool:
    return await asyncio.to_thread(verify_password, password, hashed)
