"""Secrets that ride along in log lines are scrubbed before any handler writes them."""

from __future__ import annotations

import logging

from pitchlab.logging_setup import RedactingFilter, redact


def test_access_log_query_tokens_are_redacted():
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/auth/verify-email?token=abcDEF123_-x&x=1", "1.1", 200),
        None,
    )
    RedactingFilter().filter(record)
    line = record.getMessage()
    assert "abcDEF123" not in line
    assert "token=[redacted]&x=1" in line


def test_bearer_tokens_and_vendor_keys_are_redacted():
    text = "Authorization: Bearer eyJhbGciOi.payload.sig key sk-proj-ABCDEFGH12345678 ok"
    cleaned = redact(text)
    assert "eyJhbGciOi" not in cleaned and "ABCDEFGH1234" not in cleaned
    assert cleaned.endswith(" ok")


def test_plain_lines_pass_unchanged():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s signed in", ("u1",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "user u1 signed in"
    assert record.args == ("u1",)
