"""Named domain errors carry their code, message and details, and survive a copy or a pickle."""

from __future__ import annotations

import copy
import pickle

from pitchlab.kit.errors import DomainError, RetryLater


class Refused(DomainError):
    code = "kit_tests_refused"
    default_message = "The rule says no."


class TooSoon(RetryLater):
    code = "kit_tests_too_soon"
    default_message = "Try again later."


def test_a_named_error_says_its_default_message_unless_given_one():
    assert Refused().message == str(Refused()) == "The rule says no."
    assert Refused("Not this one.", details={"field": "x"}).message == "Not this one."
    assert Refused(details={"field": "x"}).details == {"field": "x"}
    assert Refused().details == {}


def test_retry_later_carries_its_wait():
    error = TooSoon(retry_after_seconds=30)
    assert (error.code, error.message, error.retry_after_seconds) == (
        "kit_tests_too_soon", "Try again later.", 30,
    )


def test_a_copied_or_pickled_error_keeps_everything():
    for error in (Refused("No.", details={"field": "x"}),
                  TooSoon("Wait.", retry_after_seconds=7, details={"limit": 3})):
        for again in (copy.copy(error), copy.deepcopy(error), pickle.loads(pickle.dumps(error))):
            assert type(again) is type(error)
            assert again.__dict__ == error.__dict__
            assert str(again) == str(error)
            assert again.args == error.args
