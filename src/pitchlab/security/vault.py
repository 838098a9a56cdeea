"""The API-key vault: users' own vendor keys, encrypted at rest with AES-256-GCM.

The key ring comes from ``PITCHLAB_ENCRYPTION_KEYS``: comma-separated
``key_id:base64url(32 bytes)``, the first being the current key. Every ciphertext records the id
of the key that sealed it, so old keys keep decrypting until ``pitchlab keys rotate`` re-seals
everything under the current one.
The user id and the provider are bound as associated data: a ciphertext copied to another user
or another provider does not decrypt.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PROVIDERS = ("openai", "elevenlabs")


class VaultError(Exception):
    pass


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_key_ring_entry(key_id: str = "k1") -> str:
    return f"{key_id}:{_b64encode(secrets.token_bytes(32))}"


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            key_id, sep, encoded = entry.partition(":")
            if not sep or not key_id:
                raise VaultError("each encryption key is written key_id:base64url")
            try:
                key = _b64decode(encoded)
            except ValueError as exc:
                raise VaultError(f"encryption key {key_id} is not base64url") from exc
            if len(key) != 32:
                raise VaultError(f"encryption key {key_id} must be 32 bytes (AES-256)")
            if key_id in keys:
                raise VaultError(f"encryption key id {key_id} appears twice")
            keys[key_id] = key
            order.append(key_id)
        if not order:
            raise VaultError("PITCHLAB_ENCRYPTION_KEYS holds no key")
        return cls(current_id=order[0], keys=keys)


class Vault:
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def seal(self, user_id: UUID, provider: str, secret: str) -> dict[str, Any]:
        nonce = os.urandom(12)
        key = self.ring.keys[self.ring.current_id]
        ciphertext = AESGCM(key).encrypt(nonce, secret.encode("utf-8"), _aad(user_id, provider))
        return {
            "kid": self.ring.current_id,
            "nonce": _b64encode(nonce),
            "ciphertext": _b64encode(ciphertext),
            "last4": secret[-4:],
        }

    def open(self, user_id: UUID, provider: str, sealed: dict[str, Any]) -> str:
        key = self.ring.keys.get(sealed.get("kid", ""))
        if key is None:
            raise VaultError(f"no encryption key {sealed.get('kid')!r} in the key ring")
        try:
            plain = AESGCM(key).decrypt(
                _b64decode(sealed["nonce"]), _b64decode(sealed["ciphertext"]),
                _aad(user_id, provider),
            )
        except (InvalidTag, KeyError, ValueError) as exc:
            raise VaultError("a stored API key does not decrypt") from exc
        return plain.decode("utf-8")

    def is_current(self, sealed: dict[str, Any]) -> bool:
        return sealed.get("kid") == self.ring.current_id

    def reseal(self, user_id: UUID, provider: str, sealed: dict[str, Any]) -> dict[str, Any]:
        return self.seal(user_id, provider, self.open(user_id, provider, sealed))


def _aad(user_id: UUID, provider: str) -> bytes:
    return f"pitchlab-api-key:v1:{user_id}:{provider}".encode()


def key_for(vault: Vault, user: Any, provider: str, platform_key: str | None) -> str | None:
    """The key a call for ``user`` should use: their own stored key first, else the platform's.
    A stored key that no longer decrypts (its key id left the ring) falls back, with a warning."""
    sealed = ((user.api_keys or {}) if user is not None else {}).get(provider)
    if sealed:
        try:
            return vault.open(user.id, provider, sealed)
        except VaultError:
            logging.getLogger(__name__).warning(
                "user %s has a %s key that no longer decrypts", user.id, provider)
    return platform_key
