"""The bcrypt cost: lowerable to bcrypt's floor (4) for test suites, and a start below
production's 12 says so out loud rather than quietly running with cheap hashes."""

from __future__ import annotations

import json

from tests.cli.helpers import run_pitchlab

WARNING = "PITCHLAB_BCRYPT_ROUNDS=4 is below 12"


def test_a_start_below_the_production_cost_runs_and_warns(env, tmp_path):
    run = run_pitchlab(["db", "upgrade"], {**env, "PITCHLAB_BCRYPT_ROUNDS": "4"}, tmp_path)
    assert run.returncode == 0, run.stderr
    [warning] = [line for line in run.stderr.splitlines() if WARNING in line]
    line = json.loads(warning)  # one JSON object per line (PITCHLAB_LOG_FORMAT=json)
    assert line["level"] == "warning" and "never for production" in line["event"]


def test_a_start_at_the_default_cost_says_nothing_about_it(env, tmp_path):
    run = run_pitchlab(["db", "upgrade"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "PITCHLAB_BCRYPT_ROUNDS" not in run.stderr
