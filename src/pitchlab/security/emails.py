"""Email addresses as identities: one canonical form per address, and no lookalike local parts.

Two addresses are the same account when their NFKC case-folded forms are equal: fullwidth
letters (U+FF4D for ``m``), ligatures (U+FB01 for ``fi``), compatibility forms and case all fold
away, so a lookalike cannot open a second account beside the real one. A local part that mixes
scripts (Latin with Cyrillic, say ``paypal`` spelt with a Cyrillic ``a``, U+0430) is refused
outright: no legitimate address needs it, and it survives folding as a convincing double of
another address.
"""

from __future__ import annotations

import unicodedata

# Scripts that are written together (Unicode TS #39, "highly restrictive"): Latin beside Japanese,
# Chinese or Korean. Any other mixture of scripts in one local part is refused.
_WRITTEN_TOGETHER = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
# Letters whose name does not start with their script.
_SHARED_PREFIXES = ("MODIFIER LETTER", "KATAKANA-HIRAGANA")
_HAN_PREFIXES = ("CJK ", "IDEOGRAPHIC ")


def canonical_email(address: str) -> str:
    """The form addresses are compared on (Unicode's NFKC_Casefold, as Python can spell it)."""
    folded = unicodedata.normalize("NFKC", address).casefold()
    # casefold can produce sequences that are not NFKC again (e.g. with combining marks)
    return unicodedata.normalize("NFKC", folded)


def scripts_of(text: str) -> frozenset[str]:
    """The scripts of the letters in ``text``; digits, punctuation and marks belong to none."""
    return frozenset(filter(None, (_script(char) for char in text)))


def has_mixed_script_local_part(address: str) -> bool:
    local = canonical_email(address).rpartition("@")[0]
    found = scripts_of(local)
    return len(found) > 1 and not any(found <= allowed for allowed in _WRITTEN_TOGETHER)


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "UNKNOWN")
    if name.startswith(_SHARED_PREFIXES):
        return None
    if name.startswith(_HAN_PREFIXES):
        return "HAN"
    return name.split(" ", 1)[0]
