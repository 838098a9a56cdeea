"""The key ring (``PITCHLAB_ENCRYPTION_KEYS``) and the vault that seals users' API keys with it."""

from __future__ import annotations

import base64
import logging
import re
import uuid
from types import SimpleNamespace

import pytest

from pitchlab.security.vault import KeyRing, Vault, VaultError, generate_key_ring_entry, key_for

ZEROS, ONES = "A" * 43, "_" * 42 + "8"  # 32 zero bytes and 32 0xff bytes, base64url unpadded
USER = uuid.UUID("00000000-0000-4000-8000-000000000002")
SECRET = "sk-test-1234567890abcd"
# sealed by Vault(KeyRing.parse("k1:" + ZEROS)).seal(USER, "openai", SECRET): what the database
# holds must keep opening after an upgrade
SEALED_BEFORE = {"kid": "k1", "nonce": "HBPZo7zFOcv1NDiS",
                 "ciphertext": "om0ZKiJ1yrxpwBik4E502wEUoJgpdeI4aLDOhkGhKnfKo0XR_2c",
                 "last4": "abcd"}


# --- the key ring -------------------------------------------------------------------------------


def test_the_first_key_is_the_current_one_and_every_key_is_kept():
    ring = KeyRing.parse(f"new:{ONES},old:{ZEROS}")
    assert ring.current_id == "new"
    assert ring.keys == {"new": b"\xff" * 32, "old": bytes(32)}


def test_spaces_and_empty_entries_are_ignored():
    ring = KeyRing.parse(f" , new:{ONES} ,, old:{ZEROS}=, ")
    assert (ring.current_id, sorted(ring.keys)) == ("new", ["new", "old"])


def test_a_padded_key_reads_as_the_same_key():
    assert KeyRing.parse(f"k1:{ONES}=").keys == KeyRing.parse(f"k1:{ONES}").keys


def test_a_generated_entry_is_a_fresh_valid_key_named_k1_unless_named():
    entry = generate_key_ring_entry()
    assert KeyRing.parse(entry).current_id == "k1"
    assert KeyRing.parse(generate_key_ring_entry("k7")).current_id == "k7"
    assert generate_key_ring_entry() != entry


@pytest.mark.parametrize(("spec", "message"), [
    (ZEROS, "each encryption key is written key_id:base64url"),
    (f":{ZEROS}", "each encryption key is written key_id:base64url"),
    ("k1:not*base64", "encryption key k1 is not base64url"),
    ("k1:" + "A" * 42, "encryption key k1 must be 32 bytes"),  # 31 bytes
    ("k1:" + "A" * 44 + "AA", "encryption key k1 must be 32 bytes"),  # 33 bytes
    (f"k1:{ZEROS},k1:{ONES}", "encryption key id k1 appears twice"),
    ("", "PITCHLAB_ENCRYPTION_KEYS holds no key"),
    (" , ,", "PITCHLAB_ENCRYPTION_KEYS holds no key"),
])
def test_a_malformed_key_ring_is_refused_naming_the_fault(spec, message):
    with pytest.raises(VaultError) as refused:
        KeyRing.parse(spec)
    assert str(refused.value).startswith(message)


# --- sealing and opening ------------------------------------------------------------------------


def vault(spec: str = f"k1:{ZEROS}") -> Vault:
    return Vault(KeyRing.parse(spec))


def test_a_sealed_key_opens_for_its_user_and_provider_and_shows_only_its_last_four():
    sealed = vault().seal(USER, "openai", SECRET)
    assert set(sealed) == {"kid", "nonce", "ciphertext", "last4"}
    assert (sealed["kid"], sealed["last4"]) == ("k1", "abcd")
    assert SECRET not in str(sealed)
    assert vault().open(USER, "openai", sealed) == SECRET


def test_each_seal_has_a_fresh_96_bit_nonce():
    first, second = (vault().seal(USER, "openai", SECRET) for _ in range(2))
    assert first["nonce"] != second["nonce"] and first["ciphertext"] != second["ciphertext"]
    assert len(base64.urlsafe_b64decode(first["nonce"])) == 12


@pytest.mark.parametrize("nonce", [bytes(12), bytes(11) + b"\x17", b"\xff" * 12])
def test_a_sealed_key_opens_whatever_nonce_it_drew(monkeypatch, nonce):
    """Among them a nonce written with a trailing "X" ("AAAAAAAAAAAAAAAX"): base64url text is
    stored exactly, only its padding left off."""
    monkeypatch.setattr("pitchlab.security.vault.os", SimpleNamespace(urandom=lambda _: nonce))
    sealed = vault().seal(USER, "openai", SECRET)
    assert base64.urlsafe_b64decode(sealed["nonce"]) == nonce
    assert vault().open(USER, "openai", sealed) == SECRET


def test_a_key_sealed_by_an_earlier_release_still_opens():
    assert vault().open(USER, "openai", SEALED_BEFORE) == SECRET


@pytest.mark.parametrize(("user", "provider"), [
    (uuid.uuid4(), "openai"),  # copied to another user
    (USER, "elevenlabs"),  # or to another provider
])
def test_a_sealed_key_opens_for_no_one_else(user, provider):
    with pytest.raises(VaultError, match=r"^a stored API key does not decrypt$"):
        vault().open(user, provider, SEALED_BEFORE)


@pytest.mark.parametrize("damage", [
    {"ciphertext": SEALED_BEFORE["ciphertext"][:-2] + "AA"},  # tampered
    {"nonce": "not*base64"},
    {"nonce": None},  # missing
])
def test_a_damaged_sealed_key_does_not_decrypt(damage):
    sealed = {name: value for name, value in {**SEALED_BEFORE, **damage}.items()
              if value is not None}
    with pytest.raises(VaultError, match=r"^a stored API key does not decrypt$"):
        vault().open(USER, "openai", sealed)


@pytest.mark.parametrize("kid", ["gone", None])
def test_a_key_sealed_under_a_key_no_longer_in_the_ring_is_named(kid):
    sealed = {name: value for name, value in {**SEALED_BEFORE, "kid": kid}.items()
              if value is not None}
    with pytest.raises(VaultError, match=re.escape(f"no encryption key {kid!r} in the key ring")):
        vault().open(USER, "openai", sealed)


def test_rotation_reseals_under_the_current_key_and_old_keys_keep_opening():
    rotated = vault(f"k2:{ONES},k1:{ZEROS}")
    assert not rotated.is_current(SEALED_BEFORE)
    assert rotated.open(USER, "openai", SEALED_BEFORE) == SECRET
    resealed = rotated.reseal(USER, "openai", SEALED_BEFORE)
    assert resealed["kid"] == "k2" and rotated.is_current(resealed)
    assert vault(f"k2:{ONES}").open(USER, "openai", resealed) == SECRET


# --- which key a call uses ----------------------------------------------------------------------


def user_with(api_keys: dict | None) -> SimpleNamespace:
    return SimpleNamespace(id=USER, api_keys=api_keys)


def test_a_users_own_key_comes_before_the_platforms():
    assert key_for(vault(), user_with({"openai": SEALED_BEFORE}), "openai", "platform") == SECRET


@pytest.mark.parametrize("user", [None, user_with(None), user_with({}),
                                  user_with({"elevenlabs": SEALED_BEFORE})])
def test_without_an_own_key_the_platforms_is_used(user):
    assert key_for(vault(), user, "openai", "platform") == "platform"


def test_an_own_key_that_no_longer_opens_falls_back_to_the_platforms_with_a_warning(caplog):
    caplog.set_level(logging.WARNING, logger="pitchlab.security.vault")
    rotated_away = vault(f"k2:{ONES}")
    assert key_for(rotated_away, user_with({"openai": SEALED_BEFORE}), "openai", None) is None
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == f"user {USER} has a openai key that no longer decrypts"
