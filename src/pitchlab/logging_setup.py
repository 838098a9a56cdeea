"""Process-wide logging: one line per event, with the request id when there is one."""

from __future__ import annotations

import logging
import sys

from pitchlab.http.request_id import RequestIdLogFilter

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time, so a swapped stream (a test runner's
    capture) never leaves the handler writing to a closed file."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging(level: str) -> None:
    handler = _CurrentStderrHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # pgserver narrates every step of starting PostgreSQL at INFO.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; URLs can carry tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
