"""The feedback follows the scenario's call type (issue 13): the report names it, and its
reference bands (each with a source) are that type's; counts that grow with a call's length are
also given per 10 minutes."""

from __future__ import annotations

import pytest

from pitchlab.analysis.bands import reference_for
from tests.auth.helpers import bearer
from tests.practice.helpers import finished_text_call, rep


async def _feedback_of_call(client, app, tokens, scenario_id: str) -> dict:
    sid = await finished_text_call(client, app, tokens, "How do you ramp new reps today? Who owns "
                                   "it?", scenario_id=scenario_id)
    report = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert report.status_code == 200, report.text
    return report.json()["metrics"]


@pytest.mark.parametrize(("scenario_id", "call_type"), [
    ("cold-call-gatekeeper", "cold_call"), ("price-objection", "objection_handling")])
async def test_the_report_carries_the_scenarios_call_type_and_its_bands(
    client, app, owner_url, scenario_id, call_type
):
    tokens = await rep(client, app, owner_url)
    scenarios = (await client.get("/api/scenarios", headers=bearer(tokens))).json()["items"]
    assert {s["id"]: s["call_type"] for s in scenarios}[scenario_id] == call_type
    metrics = await _feedback_of_call(client, app, tokens, scenario_id)
    assert metrics["call_type"] == call_type
    assert metrics["reference"] == reference_for(call_type)
    assert all(band["source"] for band in metrics["reference"].values())
    assert metrics["questions_asked"] == 2
    minutes = metrics["duration_seconds"] / 60
    assert metrics["questions_per_10_minutes"] == pytest.approx(2 / (minutes / 10), abs=0.01)
    assert isinstance(metrics["moments"], list)


def test_a_cold_call_and_a_discovery_call_are_held_to_different_bands():
    cold, discovery = reference_for("cold_call"), reference_for("discovery")
    assert cold["talk_ratio"]["target"] > discovery["talk_ratio"]["target"]
    assert reference_for(None) == discovery  # a call without a type (a retired scenario)
