"""The offline prospect in a practice scenario's role (the text path's prospect; the stream's is
the offline voice provider's, the same one). The prospect itself lives with the voice providers
(providers/prospect.py); practice only says which scenario it plays."""

from __future__ import annotations

from pitchlab.providers import prospect
from pitchlab.scenarios.library import Scenario


def replay(scenario: Scenario, rep_lines: list[str]) -> prospect.Prospect:
    """The scenario's prospect, having heard ``rep_lines`` already."""
    return prospect.replay(scenario.prospect_brief(), rep_lines)
