"""The process's real logging set-up, writing to a captured stderr: what an operator's log
collector would read, line by line."""

from __future__ import annotations

import json
import logging

import pytest

from pitchlab.logging_setup import configure_logging


class LogLines:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.text = ""

    def read(self) -> list[dict]:
        """Every line written since the last read, each parsed as JSON (a line that is not
        JSON fails the test: one line, one event)."""
        self.text += self._capsys.readouterr().err
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def events(self, name: str) -> list[dict]:
        return [line for line in self.read() if line["event"] == name]


@pytest.fixture
def log_lines(capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", "json")
    try:
        yield LogLines(capsys)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
