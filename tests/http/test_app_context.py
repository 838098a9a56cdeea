"""One ``AppContext`` per app: requests read the resources it holds, through ``deps.py`` only."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from prometheus_client import Counter

from pitchlab.database_setup import head_revision
from pitchlab.deps import context_of, install_context
from pitchlab.http.metrics import HttpMetrics

SRC = Path(__file__).resolve().parents[2] / "src" / "pitchlab"


def test_the_app_state_holds_only_the_context():
    readers = {
        str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
        if re.search(r"\.state\.(?!context\b)", path.read_text())
    }
    assert readers == set()


async def test_a_request_reads_the_context_the_app_holds_now(client, app):
    original = context_of(app)
    install_context(app, dataclasses.replace(original, expected_revision="9999"))
    try:
        stale = await client.get("/readyz")
    finally:
        install_context(app, original)
    assert stale.status_code == 503
    assert stale.json()["error"]["details"]["migrations"] == f"at {head_revision()}, expected 9999"
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_come_from_the_contexts_registry(client, app):
    original = context_of(app)
    metrics = HttpMetrics()
    Counter("pitchlab_test_marker", "Only in this registry.", registry=metrics.registry).inc()
    install_context(app, dataclasses.replace(original, metrics=metrics))
    try:
        served = (await client.get("/metrics")).text
    finally:
        install_context(app, original)
    assert "pitchlab_test_marker_total 1.0" in served
    assert "pitchlab_test_marker" not in (await client.get("/metrics")).text
