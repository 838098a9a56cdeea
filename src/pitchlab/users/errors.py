"""What the signed-in user's own account refuses, one class per contract code."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError


class InvalidCurrentPassword(DomainError):
    """A password change whose ``current_password`` is not the account's."""

    code = "invalid_current_password"
    default_message = "The current password is wrong."


class InvalidPassword(DomainError):
    """An erasure confirmed with a password that is not the account's."""

    code = "invalid_password"
    default_message = "The password is wrong."
