"""Access tokens (JWT, HS256 pinned), opaque single-use tokens stored only as hashes, and the
sealed successor of a spent refresh token."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ALGORITHM = "HS256"
ISSUER = "pitchlab"
ACCESS_TYPE = "access"


class InvalidToken(Exception):
    """Any reason a token is not accepted; callers never tell the client which, except:"""


class ExpiredToken(InvalidToken):
    """A correctly signed access token past its ``exp``: the client should refresh it. Raised
    only after the signature checked out, so a forged token never hears "expired"."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    company_id: uuid.UUID | None
    role: str
    token_id: str
    issued_at: int
    # The user's token version when issued; a token whose version is not the user's is dead.
    token_version: int


def issue_access_token(
    secret: str,
    *,
    user_id: uuid.UUID,
    company_id: uuid.UUID | None,
    role: str,
    lifetime_seconds: int,
    token_version: int = 0,
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "type": ACCESS_TYPE,
        "company_id": str(company_id) if company_id else None,
        "role": role,
        "ver": token_version,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    """The claims of a valid, unexpired access token; ``ExpiredToken`` or ``InvalidToken``.

    A client sends the same token on every request for its lifetime: the signature and claims
    of each token are checked once (``_checked_claims``, a bounded LRU; a refused token is never
    remembered) and only the expiry again on each use. Checking the signature was a tenth of an
    authenticated request's CPU (benchmarks/api.py)."""
    claims, expires_at = _checked_claims(secret, token)
    if expires_at <= time.time():  # as PyJWT decides it, with no leeway
        raise ExpiredToken("Signature has expired")
    return claims


@functools.lru_cache(maxsize=4096)
def _checked_claims(secret: str, token: str) -> tuple[AccessClaims, float]:
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
        # Tokens from before versions existed carry none: they were issued under version 0.
        version = claims.get("ver", 0)
        if type(version) is not int:
            raise InvalidToken("the token version is not an integer")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            company_id=uuid.UUID(company) if company else None,
            role=str(claims["role"]),
            token_id=str(claims["jti"]),
            issued_at=int(claims["iat"]),
            token_version=version,
        ), float(claims["exp"])
    except jwt.ExpiredSignatureError as exc:
        raise ExpiredToken(str(exc)) from None
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from None


def new_opaque_token() -> tuple[str, str]:
    """A random URL-safe token (256 bits) and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_opaque_token(token)


def hash_opaque_token(token: str) -> str:
    # The token is random and long, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- the refresh-reuse grace: a spent token's successor, kept for its holder only --------------
#
# Within the grace, a refresh token presented again must get the very successor issued from it
# (ten tabs refreshing at once all end up with one working token). Only the successor's hash is
# stored, so its plaintext is kept too, sealed with AES-256-GCM under a key derived from the
# *spent* token. The database holds only that token's SHA-256, from which the key cannot be
# derived: a dump of the table opens nothing, and only whoever presents the spent token again
# can read its successor. The row id is bound as associated data, so a sealed value copied to
# another row does not open.

_SUCCESSOR_LABEL = b"pitchlab-refresh-successor:v1"


def _successor_key(spent_token: str) -> bytes:
    return hmac.new(spent_token.encode("utf-8"), _SUCCESSOR_LABEL, hashlib.sha256).digest()


def seal_successor(spent_token: str, successor: str, row_id: uuid.UUID) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_successor_key(spent_token)).encrypt(
        nonce, successor.encode("utf-8"), row_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_successor(spent_token: str, sealed: str, row_id: uuid.UUID) -> str | None:
    """The successor sealed by ``seal_successor``; None when it does not open."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        plain = AESGCM(_successor_key(spent_token)).decrypt(raw[:12], raw[12:], row_id.bytes)
    except (InvalidTag, ValueError):
        return None
    return plain.decode("utf-8")
