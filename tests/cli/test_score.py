"""``pitchlab score PATH...``: transcripts scored offline, one report per line in input order, an
error line in the contract's envelope for a transcript that cannot be scored; no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pitchlab.analysis.metrics import compute_metrics
from pitchlab.feedback.scoring import report_body
from pitchlab.providers.llm import LocalSkillScorer
from tests.auth.helpers import bearer, drain_jobs, invoke_cli
from tests.fakes.openai_server import serving
from tests.feedback.test_feedback_flow import _finished_call
from tests.practice.helpers import rep

KEY = "sk-test-score-command-key"
TURNS = [
    {"speaker": "prospect", "text": "Marcus speaking. Budgets are tight.", "start_ms": 0,
     "end_ms": 1500},
    {"speaker": "rep", "text": "Um, what slows  your\nnew reps down today?", "start_ms": 2000,
     "end_ms": 4500},
    {"speaker": "prospect", "text": "Coaching time. Managers have none.", "start_ms": 5000,
     "end_ms": 7000},
    {"speaker": "rep", "text": "Could we meet Thursday at 10am with your enablement lead?",
     "start_ms": 7500, "end_ms": 10000},
    {"speaker": "prospect", "text": "Thursday works.", "start_ms": 10500, "end_ms": 11500},
]


@pytest.fixture(autouse=True)
def no_llm_configured(monkeypatch):
    for name in ("PITCHLAB_OPENAI_API_KEY", "PITCHLAB_OPENAI_BASE_URL", "PITCHLAB_OPENAI_MODEL",
                 "PITCHLAB_OPENAI_RESPONSE_FORMAT"):
        monkeypatch.delenv(name, raising=False)


def transcript(call_type: str, **extra) -> dict:
    return {"turns": TURNS, "call_type": call_type, **extra}


def write(path: Path, *documents: dict | str) -> str:
    lines = [doc if isinstance(doc, str) else json.dumps(doc) for doc in documents]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


async def score(*paths: str) -> tuple[int, list[dict]]:
    result = await invoke_cli(["score", *paths])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


async def local_report(document: dict) -> dict:
    """What the feedback worker stores for such a call, scored locally."""
    metrics = compute_metrics(document["turns"], document.get("duration_seconds"),
                              mode=document.get("mode"), call_type=document.get("call_type"))
    scoring = await LocalSkillScorer().score(document["turns"], metrics, None)
    return json.loads(json.dumps(report_body(metrics, scoring)))


async def test_reports_come_in_input_order_with_an_error_line_for_a_bad_one(tmp_path):
    single = write(tmp_path / "call.json", transcript("cold_call"))
    library = write(tmp_path / "library.jsonl", transcript("demo"), "{not json",
                    transcript("closing", mode="text", duration_seconds=12.0))
    code, lines = await score(single, library)
    assert code == 1
    assert [line.get("call_type") for line in lines] == ["cold_call", "demo", None, "closing"]
    assert lines[2] == {"error": {
        "code": "invalid_transcript", "message": lines[2]["error"]["message"],
        "details": {"path": library, "line": 2}}, "request_id": None}
    assert lines[2]["error"]["message"].startswith(f"{library}:2: not valid JSON")
    assert lines[3]["mode"] == "text" and lines[3]["duration_seconds"] == 12.0


async def test_a_report_is_the_feedback_workers_report_of_the_same_call(tmp_path):
    document = transcript("discovery")
    code, [report] = await score(write(tmp_path / "call.json", document))
    assert code == 0
    assert report == await local_report(document)
    assert report["scored_by"] == "local" and report["rubric_version"].startswith("local-")
    assert report["filler_words"]["count"] == 1 and report["questions_asked"] == 2
    for skill in report["skill_scores"].values():  # quotes as the turns store them
        assert all(any(q in t["text"] for t in TURNS if t["speaker"] == "rep")
                   for q in skill["evidence"])


async def test_the_transcript_endpoints_own_output_scores(tmp_path):
    endpoint_shaped = {"session_id": "5d7c...", "text": "rep: ...", "created_at": "2026-11-27",
                       "turns": TURNS}
    code, [report] = await score(write(tmp_path / "t.json", endpoint_shaped))
    assert code == 0 and report["call_type"] == "discovery"  # a call without one


@pytest.mark.parametrize(("document", "complaint"), [
    ({"turns": [{"speaker": "rep", "start_ms": 0, "end_ms": 10}]}, "turns.0.text: Field required"),
    ({"turns": [{**TURNS[1], "text": ""}]}, "turns.0.text"),
    ({"turns": [{**TURNS[1], "text": None}]}, "turns.0.text"),
    ({"turns": [{**TURNS[1], "speaker": "coach"}]}, "turns.0.speaker"),
    ({"turns": [{**TURNS[1], "start_ms": "2000"}]}, "turns.0.start_ms"),
    ({"turns": [{**TURNS[1], "end_ms": 1}]}, "cannot end before it starts"),
    ({"turn": TURNS}, "turns: Field required"),
    ({"turns": TURNS, "call_type": "negotiation"}, "call_type"),
    ("[1, 2]", "transcript:"),
    ("", "not valid JSON"),
])
async def test_a_transcript_of_the_wrong_shape_is_an_error_line(tmp_path, document, complaint):
    bad = tmp_path / "bad.json"
    bad.write_text(document if isinstance(document, str) else json.dumps(document))
    good = write(tmp_path / "good.json", transcript("demo"))
    code, (error, report) = await score(str(bad), good)
    assert code == 1 and report["call_type"] == "demo"
    assert error["error"]["code"] == "invalid_transcript"
    assert error["error"]["details"] == {"path": str(bad)}
    assert error["error"]["message"].startswith(f"{bad}: ")
    assert complaint in error["error"]["message"]


async def test_unreadable_files_are_error_lines(tmp_path):
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"turns": [{"text": "caf\xe9"}]}')
    code, lines = await score(str(tmp_path / "missing.json"), str(latin1), str(tmp_path))
    assert code == 1
    messages = [line["error"]["message"] for line in lines]
    assert messages[0].endswith("cannot be read (No such file or directory)")
    assert messages[1].endswith("cannot be read (not UTF-8 text)")
    assert messages[2].startswith(f"{tmp_path}: cannot be read")


async def test_blank_lines_of_a_jsonl_are_skipped_and_all_scored_is_exit_0(tmp_path):
    library = write(tmp_path / "l.jsonl", transcript("demo"), "", "  ", transcript("cold_call"))
    code, lines = await score(library)
    assert code == 0 and [line["call_type"] for line in lines] == ["demo", "cold_call"]


async def test_the_language_model_scores_when_a_key_is_configured(tmp_path, monkeypatch):
    async with serving(KEY) as (fake, base):
        fake.refuse_json_schema = True  # a local server without strict schemas
        monkeypatch.setenv("PITCHLAB_OPENAI_API_KEY", KEY)
        monkeypatch.setenv("PITCHLAB_OPENAI_BASE_URL", base)
        monkeypatch.setenv("PITCHLAB_OPENAI_MODEL", "llama3.1")
        library = write(tmp_path / "l.jsonl", transcript("discovery"), transcript("closing"))
        code, lines = await score(library)
    assert code == 0
    assert [line["scored_by"] for line in lines] == ["llama3.1", "llama3.1"]
    assert [line["call_type"] for line in lines] == ["discovery", "closing"]
    # the first call learnt the server has no strict schemas; the second went straight to JSON
    assert [r["response_format"]["type"] for r in fake.requests] == [
        "json_schema", "json_object", "json_object"]
    [moment] = lines[0]["moments"]
    assert moment["turn_index"] == 1 and moment["start_ms"] == 2000
    assert moment["quote"] == TURNS[1]["text"]


async def test_a_report_equals_the_apis_feedback_for_the_same_call(client, app, owner_url,
                                                                   tmp_path):
    tokens = await rep(client, app, owner_url)
    sid = await _finished_call(client, tokens)
    await drain_jobs(app)
    feedback = (await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))).json()
    stored = feedback["metrics"]
    turns = (await client.get(f"/api/sessions/{sid}/transcript", headers=bearer(tokens))).json()
    document = {**turns, "call_type": stored["call_type"], "mode": stored["mode"],
                "duration_seconds": stored["duration_seconds"]}
    code, [report] = await score(write(tmp_path / "call.json", document))
    assert code == 0
    # The report stores the duration to the millisecond, and this test's call lasts a fraction
    # of a second: a rate per 10 minutes of it differs in its last digits, all else is equal.
    rate = "questions_per_10_minutes"
    assert report.pop(rate) == pytest.approx(stored.pop(rate), rel=0.01)
    assert report == stored
