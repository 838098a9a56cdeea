"""Access tokens: what an issued token carries, and every claim whose absence or wrong value
makes a token refused; opaque tokens; the sealed successor of a spent refresh token."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import jwt
import pytest

from pitchlab.security.tokens import (
    AccessClaims,
    ExpiredToken,
    InvalidToken,
    decode_access_token,
    hash_opaque_token,
    issue_access_token,
    new_opaque_token,
    open_successor,
    seal_successor,
)

SECRET = "a-test-secret-long-enough-for-hs256-and-for-hs512-too-64-bytes-or-more"
USER, COMPANY = uuid.uuid4(), uuid.uuid4()


def issued(**overrides) -> str:
    values = {"user_id": USER, "company_id": COMPANY, "role": "admin", "lifetime_seconds": 900}
    return issue_access_token(SECRET, **{**values, **overrides})


def forged(claims: dict | None = None, *, without: tuple[str, ...] = (), secret: str = SECRET,
           algorithm: str = "HS256") -> str:
    """A token signed with ``secret``: the claims an issued token has, changed by ``claims``,
    less those named in ``without``."""
    now = int(time.time())
    payload = {"iss": "pitchlab", "sub": str(USER), "type": "access", "company_id": str(COMPANY),
               "role": "user", "ver": 0, "jti": "j1", "iat": now, "exp": now + 60, **(claims or {})}
    payload = {name: value for name, value in payload.items() if name not in without}
    return jwt.encode(payload, secret, algorithm=algorithm)


def test_an_issued_token_carries_the_claims_in_their_wire_names():
    before = int(time.time())
    token = issued(token_version=4)
    raw = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert raw["iss"] == "pitchlab" and raw["type"] == "access"  # tokens already out there
    assert (raw["sub"], raw["company_id"], raw["role"], raw["ver"]) == (
        str(USER), str(COMPANY), "admin", 4)
    assert before <= raw["iat"] <= int(time.time()) and raw["exp"] == raw["iat"] + 900


def test_an_issued_token_decodes_to_its_claims():
    token = issued(token_version=4)
    claims = decode_access_token(SECRET, token)
    raw = jwt.decode(token, options={"verify_signature": False})
    assert claims == AccessClaims(user_id=USER, company_id=COMPANY, role="admin",
                                  token_id=raw["jti"], issued_at=raw["iat"], token_version=4)


def test_each_token_has_its_own_id():
    first, second = decode_access_token(SECRET, issued()), decode_access_token(SECRET, issued())
    assert first.token_id != second.token_id


def test_a_token_issued_without_a_version_is_of_version_zero():
    assert decode_access_token(SECRET, issued()).token_version == 0


def test_a_platform_operators_token_has_no_company():
    token = issued(company_id=None, role="super_admin")
    assert jwt.decode(token, options={"verify_signature": False})["company_id"] is None
    assert decode_access_token(SECRET, token).company_id is None


def test_a_token_from_before_versions_is_of_version_zero():
    assert decode_access_token(SECRET, forged(without=("ver",))).token_version == 0


@pytest.mark.parametrize("version", ["1", 1.0, True, None])
def test_a_version_that_is_not_an_integer_is_refused(version):
    with pytest.raises(InvalidToken) as refused:
        decode_access_token(SECRET, forged({"ver": version}))
    assert type(refused.value) is InvalidToken


@pytest.mark.parametrize("claims", [
    {"iss": "someone-else"},
    {"type": "refresh"},
    {"sub": "not-a-uuid"},
    {"company_id": "not-a-uuid"},
])
def test_a_token_with_a_wrong_claim_is_refused(claims):
    with pytest.raises(InvalidToken) as refused:
        decode_access_token(SECRET, forged(claims))
    assert type(refused.value) is InvalidToken


@pytest.mark.parametrize("claim", ["iss", "exp", "iat", "sub", "jti", "type", "role"])
def test_a_token_without_a_claim_is_refused(claim):
    with pytest.raises(InvalidToken) as refused:
        decode_access_token(SECRET, forged(without=(claim,)))
    assert type(refused.value) is InvalidToken


def test_an_expired_token_says_so():
    with pytest.raises(ExpiredToken):
        decode_access_token(SECRET, issued(lifetime_seconds=-1))


def test_a_forged_expired_token_hears_only_invalid():
    token = forged({"exp": int(time.time()) - 10}, secret="another-secret-long-enough-for-hs256")
    with pytest.raises(InvalidToken) as refused:
        decode_access_token(SECRET, token)
    assert type(refused.value) is InvalidToken


@pytest.mark.parametrize("algorithm", ["HS512", "none"])
def test_only_hs256_is_accepted(algorithm):
    with pytest.raises(InvalidToken):
        decode_access_token(SECRET, forged(algorithm=algorithm,
                                           secret=SECRET if algorithm != "none" else ""))


def test_garbage_is_invalid():
    with pytest.raises(InvalidToken):
        decode_access_token(SECRET, "not.a.token")


# --- opaque tokens ------------------------------------------------------------------------------


def test_an_opaque_token_is_256_random_bits_stored_as_its_sha256():
    token, stored = new_opaque_token()
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert stored == hash_opaque_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert new_opaque_token()[0] != token


# --- the sealed successor -----------------------------------------------------------------------

ROW = uuid.UUID("00000000-0000-4000-8000-000000000001")
# sealed by seal_successor("spent-refresh-token", "the-successor-token", ROW): a value stored by
# the running release must open after an upgrade, within the grace
SEALED_BEFORE = "Mkdh23kGpqGo95GVGIiDiWJHw4JiQg0ni1PnDg87wJzxezlBF0jAcMcvar2veEU="


def test_a_successor_opens_with_the_spent_token_and_its_row_only():
    sealed = seal_successor("spent", "successor", ROW)
    assert open_successor("spent", sealed, ROW) == "successor"
    assert open_successor("another", sealed, ROW) is None
    assert open_successor("spent", sealed, uuid.uuid4()) is None
    assert open_successor("spent", "not base64!", ROW) is None
    assert "successor" not in base64.urlsafe_b64decode(sealed).decode("latin-1")


def test_each_seal_has_a_fresh_96_bit_nonce():
    first, second = (base64.urlsafe_b64decode(seal_successor("s", "t", ROW)) for _ in range(2))
    assert first[:12] != second[:12]
    assert len(first) == 12 + len("t") + 16  # nonce, ciphertext, tag


def test_a_successor_sealed_by_an_earlier_release_still_opens():
    assert open_successor("spent-refresh-token", SEALED_BEFORE, ROW) == "the-successor-token"


def test_a_token_checked_before_still_expires_on_time(monkeypatch):
    token = issued(lifetime_seconds=60)
    assert decode_access_token(SECRET, token).user_id == USER  # checked, and remembered
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    monkeypatch.setattr("pitchlab.security.tokens.time.time", lambda: expires_at)
    with pytest.raises(ExpiredToken):
        decode_access_token(SECRET, token)


def test_a_remembered_token_is_not_accepted_under_another_secret():
    token = issued()
    decode_access_token(SECRET, token)
    with pytest.raises(InvalidToken):
        decode_access_token("a-rotated-secret-long-enough-for-hs256-0123456789", token)


def test_a_refused_token_is_refused_every_time():
    token = forged({"type": "refresh"})
    for _ in range(2):  # not remembered as anything, refused again by the full check
        with pytest.raises(InvalidToken):
            decode_access_token(SECRET, token)
