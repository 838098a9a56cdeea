"""Access tokens (JWT, HS256 pinned) and opaque single-use tokens stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
ISSUER = "pitchlab"
ACCESS_TYPE = "access"


class InvalidToken(Exception):
    """Any reason a token is not accepted; callers never tell the client which."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    company_id: uuid.UUID | None
    role: str
    token_id: str
    issued_at: int


def issue_access_token(
    secret: str,
    *,
    user_id: uuid.UUID,
    company_id: uuid.UUID | None,
    role: str,
    lifetime_seconds: int,
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "type": ACCESS_TYPE,
        "company_id": str(company_id) if company_id else None,
        "role": role,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        # algorithms is pinned: a token that names "none" or another algorithm is refused
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "type"]},
        )
        if claims["type"] != ACCESS_TYPE:
            raise InvalidToken("not an access token")
        company = claims.get("company_id")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            company_id=uuid.UUID(company) if company else None,
            role=str(claims["role"]),
            token_id=str(claims["jti"]),
            issued_at=int(claims["iat"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from None


def new_opaque_token() -> tuple[str, str]:
    """A random URL-safe token (256 bits) and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_opaque_token(token)


def hash_opaque_token(token: str) -> str:
    # The token is random and long, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
