"""JSON log lines through structlog, for structlog's loggers and the standard library's alike.

Every line goes through one processor chain (``ProcessorFormatter`` on the root handler): level,
logger, timestamp, the request's id, route and caller, the active trace, then redaction of every
string, then JSON (or a console rendering for development).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from pitchlab.http.request_id import current_request_id
from pitchlab.observability import context, tracing

# Secrets that can ride along in otherwise harmless text: query strings (?token=, ?ticket=),
# Authorization headers, vendor keys.
_SECRET_PATTERNS = [
    (re.compile(r"((?:token|ticket|refresh_token|access_token|password|api_key)=)[^&\s\"']+",
                re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"\b(sk|rk|whsec|xi)[-_][A-Za-z0-9_-]{8,}"), "[redacted-key]"),
]
# Fields whose value is never written, whatever it looks like: credentials, and what a rep said
# on a call (transcript text is personal data and stays in the database).
SENSITIVE_KEYS = frozenset({
    "password", "new_password", "current_password", "token", "access_token", "refresh_token",
    "ticket", "api_key", "api_keys", "authorization", "secret", "text", "transcript",
})
# The offline outbox is the developer's own mailbox: its links are meant to be read.
EXEMPT_LOGGERS = ("pitchlab.email.outbox",)
LogFormat = Literal["json", "console"]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: "[redacted]" if str(key).lower() in SENSITIVE_KEYS else _redacted(item)
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def redact_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The last step before rendering: no processor or caller can add a secret after it."""
    if event_dict.get("logger") in EXEMPT_LOGGERS:
        return event_dict
    redacted: EventDict = _redacted(event_dict)
    return redacted


def add_request(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    request_id = current_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    request = context.current()
    if request is not None:
        if request.user_id is not None:
            event_dict.setdefault("user_id", request.user_id)
        if request.company_id is not None:
            event_dict.setdefault("company_id", request.company_id)
    return event_dict


def add_trace(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    ids = tracing.current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def _processors(log_format: LogFormat) -> list[Processor]:
    renderer: Processor = (
        structlog.processors.JSONRenderer(default=str) if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        add_request,
        add_trace,
        structlog.processors.format_exc_info,
        # after the logger's name is read from the record, before anything is rendered
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        redact_fields,
        renderer,
    ]


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time, so a swapped stream (a test runner's
    capture) never leaves the handler writing to a closed file."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure(level: str, log_format: LogFormat = "json") -> None:
    """One handler on the root logger, rendering every record (stdlib or structlog) as a line."""
    handler = _CurrentStderrHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processors=_processors(log_format)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # pgserver narrates every step of starting PostgreSQL at INFO.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; URLs can carry tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Our access line replaces uvicorn's, which shows the raw path (ids, query strings).
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger that hands its event, fields intact, to the stdlib logger ``name``:
    levels, handlers and test capture work as for any other logger. No global structlog
    configuration is involved, so nothing depends on the order things are imported in."""
    logger: structlog.stdlib.BoundLogger = structlog.wrap_logger(
        logging.getLogger(name),
        processors=[structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    return logger
