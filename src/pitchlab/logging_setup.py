"""Process-wide logging: one JSON line per event (structlog), with the request id, route, caller
and trace when there are some. The pipeline lives in ``pitchlab.observability.logs``; this module
keeps the entry point the CLI calls, and the redaction helpers under their old names."""

from __future__ import annotations

import logging

from pitchlab.observability.logs import EXEMPT_LOGGERS, LogFormat, configure, redact

__all__ = ["RedactingFilter", "configure_logging", "redact"]


class RedactingFilter(logging.Filter):
    """Scrubs secrets from a record's message, for a handler outside the JSON pipeline (the
    pipeline itself redacts every field of every line)."""

    exempt = EXEMPT_LOGGERS

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in self.exempt:
            return True
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str, log_format: LogFormat = "json") -> None:
    configure(level, log_format)
