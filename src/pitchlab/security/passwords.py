"""Password hashing with bcrypt. Hashing is slow on purpose, so callers on the event loop use
the ``*_async`` variants, which run it in a worker thread."""

from __future__ import annotations

import asyncio

import bcrypt

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
