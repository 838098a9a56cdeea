"""Process-wide logging: one line per event, with the request id when there is one."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from pitchlab.http.request_id import RequestIdLogFilter

# Secrets that can ride along in otherwise harmless lines: query strings in access logs
# (?token=, ?ticket=), Authorization headers, vendor keys.
_SECRET_PATTERNS = [
    (re.compile(r"((?:token|ticket|refresh_token|access_token|password|api_key)=)[^&\s\"']+",
                re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"\b(sk|rk|whsec|xi)[-_][A-Za-z0-9_-]{8,}"), "[redacted-key]"),
]


class RedactingFilter(logging.Filter):
    """Scrubs secrets from every record before any handler writes it."""

    # The offline outbox is the developer's own mailbox: its links are meant to be read.
    exempt = ("pitchlab.email.outbox",)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in self.exempt:
            return True
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time, so a swapped stream (a test runner's
    capture) never leaves the handler writing to a closed file."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(level: str) -> None:
    handler = _CurrentStderrHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # pgserver narrates every step of starting PostgreSQL at INFO.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; URLs can carry tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
