"""Recordings through the API: a meeting transcript with three speakers scored end to end, the
rep's speaker chosen afterwards, refusals that store nothing (wrong type by its bytes, audio
without speech-to-text, bad fields, an unknown speaker), deletion with the file, another
user's recording not found, and the monthly allowance metered exactly under concurrent
uploads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from pitchlab.database_setup import libpq_dsn
from pitchlab.deps import context_of
from pitchlab.recordings import service as recordings
from tests.auth.helpers import bearer, drain_jobs, invited_member, signed_up

SAMPLES = Path(__file__).parent / "samples"
PATH = "/api/recordings"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def zoom_vtt() -> bytes:
    return (SAMPLES / "zoom_three_speakers.vtt").read_bytes()


def vtt_of(minutes: int, rep: str = "Rita Rep", other: str = "Paul Prospect") -> bytes:
    """A two-speaker WebVTT transcript ``minutes`` long (a line a minute)."""
    cues = ["WEBVTT", ""]
    for minute in range(minutes):
        who = rep if minute % 2 == 0 else other
        at = f"{minute // 60:02d}:{minute % 60:02d}"
        cues += [f"{minute + 1}", f"{at}:00.000 --> {at}:59.000",
                 f"{who}: What would it take to move this forward, minute {minute}?", ""]
    return "\n".join(cues).encode()


async def upload(client, tokens, content: bytes, name: str = "call.vtt", **fields: str):
    return await client.post(PATH, headers=bearer(tokens), files={"file": (name, content)},
                             data=fields)


async def settled(app) -> None:
    """The recording's job, then the feedback job it queued (a second run: the queue is run
    to its end as it stood)."""
    await drain_jobs(app)
    await drain_jobs(app)


def stored(owner_url) -> list[tuple]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT id::text, status, storage_key, metered_seconds FROM recordings"
                            " ORDER BY created_at").fetchall()


def used_seconds(owner_url) -> list[int]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return [row[0] for row in conn.execute("SELECT used_seconds FROM recording_usage")]


def files_in(settings) -> list[Path]:
    folder = settings.data_dir / "recordings"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def test_a_zoom_transcript_with_three_speakers_is_scored_end_to_end(client, app, owner_url,
                                                                         settings):
    tokens = await signed_up(client, app, owner_url)
    accepted = await upload(client, tokens, zoom_vtt(), name="q3-review.vtt",
                            rep_speaker="Priya Raman", language="en")
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["status"] == "processing" and body["kind"] == "transcript"
    await settled(app)

    recording = (await client.get(f"{PATH}/{body['id']}", headers=bearer(tokens))).json()
    assert recording["status"] == "ready" and recording["title"] == "q3-review"
    assert recording["rep_speaker"] == "Priya Raman"
    names = {speaker["id"] for speaker in recording["speakers"]}
    assert {"Priya Raman", "Dana Kim"} <= names and len(names) >= 3
    assert recording["feedback_status"] == "ready"

    transcript = (await client.get(f"{PATH}/{body['id']}/transcript",
                                   headers=bearer(tokens))).json()
    sides = {turn["speaker"] for turn in transcript["turns"]}
    assert sides == {"rep", "prospect"}  # the rep versus everyone else
    assert transcript["turns"][0]["start_ms"] == 1250  # the real times, not estimated
    assert transcript["turns"][0]["text"].startswith("Hi Marcus, thanks for making time")

    feedback = await client.get(f"{PATH}/{body['id']}/feedback", headers=bearer(tokens))
    assert feedback.status_code == 200
    metrics = feedback.json()["metrics"]
    assert metrics["source"] == "recording" and metrics["mode"] is None
    assert metrics["estimated"] == []  # pace and patience from the file's own times
    assert metrics["pace_wpm"] > 0
    assert metrics["talk_time_seconds"]["rep"] > 0 and metrics["skill_scores"]

    calls = (await client.get("/api/sessions", headers=bearer(tokens))).json()["items"]
    assert [(c["id"], c["mode"], c["scenario"]["name"]) for c in calls] == [
        (recording["session_id"], "recording", "Real call")]
    assert calls[0]["minutes_billed"] == 0  # practice minutes untouched
    analytics = (await client.get("/api/analytics/me", headers=bearer(tokens))).json()
    assert analytics["calls"] == 1  # counted beside practice calls
    assert used_seconds(owner_url) == [stored(owner_url)[0][3]] and stored(owner_url)[0][3] > 0
    waiting = (await upload(client, tokens, zoom_vtt())).json()  # no rep named: waits
    await drain_jobs(app)
    listed = (await client.get(PATH, headers=bearer(tokens))).json()["items"]
    assert [(r["id"], r["status"], r["feedback_status"]) for r in listed] == [
        (waiting["id"], "needs_speaker", None), (body["id"], "ready", "ready")]


async def test_the_rep_is_chosen_after_the_upload(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    accepted = (await upload(client, tokens, zoom_vtt())).json()
    await drain_jobs(app)
    path = f"{PATH}/{accepted['id']}"
    waiting = (await client.get(path, headers=bearer(tokens))).json()
    assert waiting["status"] == "needs_speaker" and waiting["session_id"] is None
    assert all(speaker["sample"] for speaker in waiting["speakers"])
    assert (await client.get(f"{path}/feedback", headers=bearer(tokens))).status_code == 404

    unknown = await client.post(f"{path}/speaker", headers=bearer(tokens),
                                json={"rep_speaker": "Nobody"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_speaker"
    chosen = await client.post(f"{path}/speaker", headers=bearer(tokens),
                               json={"rep_speaker": "Dana Kim"})
    assert chosen.status_code == 200 and chosen.json()["status"] == "ready"
    again = await client.post(f"{path}/speaker", headers=bearer(tokens),
                              json={"rep_speaker": "Priya Raman"})
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "speaker_already_chosen"
    await drain_jobs(app)
    ready = (await client.get(f"{path}/feedback", headers=bearer(tokens))).json()
    assert ready["status"] == "ready"


async def test_refusals_store_nothing(client, app, owner_url, settings):
    tokens = await signed_up(client, app, owner_url)
    before = files_in(settings)
    wrong_type = await upload(client, tokens, PNG, name="call.mp3")
    assert wrong_type.status_code == 415
    assert wrong_type.json()["error"]["code"] == "unsupported_media_type"
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100
    no_stt = await upload(client, tokens, wav, name="call.wav")
    assert no_stt.status_code == 503
    assert no_stt.json()["error"]["code"] == "transcription_not_configured"
    for fields in ({"language": "tlh"}, {"title": "x" * 201}, {"rep_speaker": "Nobody"}):
        refused = await upload(client, tokens, zoom_vtt(), **fields)
        assert refused.status_code == 422, (fields, refused.text)
    not_vtt = await upload(client, tokens, b"WEBVTT\n\n1\n00:00:01.000 --> garbage\nhello\n")
    assert not_vtt.status_code == 422
    no_file = await client.post(PATH, headers=bearer(tokens), data={"title": "nothing"},
                                files={"other": ("x.txt", b"hello")})
    assert no_file.status_code == 422
    not_multipart = await client.post(PATH, headers=bearer(tokens), json={"file": "x"})
    assert not_multipart.status_code == 422
    assert stored(owner_url) == [] and used_seconds(owner_url) == []
    assert files_in(settings) == before


async def test_a_deleted_recording_takes_its_file_and_call(client, app, owner_url, settings):
    tokens = await signed_up(client, app, owner_url)
    accepted = (await upload(client, tokens, zoom_vtt(), rep_speaker="Priya Raman")).json()
    await settled(app)
    key = stored(owner_url)[0][2]
    assert settings.data_dir.joinpath("recordings", key).is_file()
    session_id = (await client.get(f"{PATH}/{accepted['id']}",
                                   headers=bearer(tokens))).json()["session_id"]
    deleted = await client.delete(f"{PATH}/{accepted['id']}", headers=bearer(tokens))
    assert deleted.status_code == 204
    assert not settings.data_dir.joinpath("recordings", key).exists()
    assert (await client.get(f"/api/sessions/{session_id}",
                             headers=bearer(tokens))).status_code == 404
    assert (await client.get(f"{PATH}/{accepted['id']}",
                             headers=bearer(tokens))).status_code == 404
    assert used_seconds(owner_url)[0] > 0  # the minutes it used stay used


async def test_retention_deletes_old_recordings_with_their_files(client, app, owner_url, settings):
    tokens = await signed_up(client, app, owner_url)
    await upload(client, tokens, zoom_vtt(), rep_speaker="Priya Raman")
    await upload(client, tokens, vtt_of(2), rep_speaker="Rita Rep")
    await settled(app)
    old, recent = stored(owner_url)
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        conn.execute("UPDATE recordings SET created_at = now() - interval '400 days'"
                     " WHERE id = %s", (old[0],))
    context = context_of(app)
    purged = await recordings.purge_expired(context.database, context.providers.files,
                                            settings.retention_days, datetime.now(UTC))
    assert purged == 1
    assert [row[0] for row in stored(owner_url)] == [recent[0]]
    assert not settings.data_dir.joinpath("recordings", old[2]).exists()
    assert settings.data_dir.joinpath("recordings", recent[2]).is_file()


async def test_another_users_recording_is_not_found(client, app, owner_url):
    owner = await signed_up(client, app, owner_url)
    accepted = (await upload(client, owner, zoom_vtt())).json()
    await drain_jobs(app)
    colleague = await invited_member(client, owner_url, owner["email"], "user")
    stranger = await signed_up(client, app, owner_url)
    path = f"{PATH}/{accepted['id']}"
    for tokens in (colleague, stranger):
        for method, url, body in (("GET", path, None), ("GET", f"{path}/transcript", None),
                                  ("GET", f"{path}/feedback", None),
                                  ("POST", f"{path}/speaker", {"rep_speaker": "Dana Kim"}),
                                  ("DELETE", path, None)):
            answer = await client.request(method, url, headers=bearer(tokens), json=body)
            assert answer.status_code == 404, (method, url, answer.status_code)
        listed = (await client.get(PATH, headers=bearer(tokens))).json()
        assert listed["items"] == []
    assert stored(owner_url)[0][1] == "needs_speaker"


async def test_the_allowance_is_metered_exactly_under_concurrent_uploads(client, app, owner_url):
    # The trial allows 60 minutes a month; five 25-minute transcripts at once: two fit.
    tokens = await signed_up(client, app, owner_url)
    answers = await asyncio.gather(*(upload(client, tokens, vtt_of(25), rep_speaker="Rita Rep")
                                      for _ in range(5)))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [202, 202, 402, 402, 402], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 402)
    assert refused.json()["error"]["code"] == "allowance_exhausted"
    rows = stored(owner_url)
    assert len(rows) == 2
    assert used_seconds(owner_url) == [sum(row[3] for row in rows)] == [2 * 1499]
    listed = (await client.get(PATH, headers=bearer(tokens))).json()
    assert listed["allowance"]["allowed_seconds"] == 3600
    assert listed["allowance"]["remaining_seconds"] == 3600 - 2 * 1499
    full = await upload(client, tokens, vtt_of(11), rep_speaker="Rita Rep")
    assert full.status_code == 402  # 50 minutes used: 11 more do not fit
    fits = await upload(client, tokens, vtt_of(9), rep_speaker="Rita Rep")
    assert fits.status_code == 202


SPANISH_SRT = """1
00:00:00,000 --> 00:00:04,000
Ana: Eh, bueno, ¿qué es lo que más les frena hoy?

2
00:00:04,500 --> 00:00:08,000
Luis: Pues la verdad es que los informes manuales.

3
00:00:08,500 --> 00:00:15,000
Ana: Este... ¿cuántas personas hacen ese trabajo? Es un buen momento para hablar del precio,
este proyecto es bueno.
""".encode()


async def test_a_spanish_calls_fillers_are_counted_with_spanish_rules(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    accepted = await upload(client, tokens, SPANISH_SRT, name="llamada.srt", language="es",
                            rep_speaker="Ana")
    assert accepted.status_code == 202, accepted.text
    await settled(app)
    feedback = (await client.get(f"{PATH}/{accepted.json()['id']}/feedback",
                                 headers=bearer(tokens))).json()
    metrics = feedback["metrics"]
    assert metrics["language"] == "es"
    # by hand: "Eh", "bueno," (set off by commas) and "Este..." are fillers; "este proyecto" and
    # "es bueno" are words of the sentence (English rules would count none of them)
    assert metrics["filler_words"]["by_word"] == {"eh": 1, "bueno": 1, "este": 1}
    assert metrics["questions_asked"] == 2  # ¿qué ...? and ¿cuántas ...?
    # VADER reads English only: the report says so instead of guessing
    assert "sentiment.rep" in metrics["not_measured"]


async def test_a_cut_short_or_malformed_body_stores_nothing(client, app, owner_url, settings):
    tokens = await signed_up(client, app, owner_url)
    before = files_in(settings)
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"call.vtt\"\r\n\r\n").encode()
    whole = head + zoom_vtt() + f"\r\n--{boundary}--\r\n".encode()
    headers = {**bearer(tokens), "content-type": f"multipart/form-data; boundary={boundary}"}
    cut = await client.post(PATH, headers=headers, content=whole[: len(whole) - 40])
    assert cut.status_code == 422 and "closing multipart boundary" in cut.json()["error"]["message"]
    garbled = await client.post(PATH, headers=headers, content=b"--b0undary\r\nnot a header line")
    assert garbled.status_code == 422
    no_boundary = await client.post(PATH, headers={**bearer(tokens),
                                                   "content-type": "multipart/form-data"},
                                    content=whole)
    assert no_boundary.status_code == 422
    two_files = await client.post(PATH, headers=bearer(tokens), files=[
        ("file", ("a.vtt", zoom_vtt())), ("file", ("b.vtt", zoom_vtt()))])
    assert two_files.status_code == 422
    assert stored(owner_url) == [] and files_in(settings) == before
    whole_body = await client.post(PATH, headers=headers, content=whole)
    assert whole_body.status_code == 202  # the same body, whole, is taken


async def test_a_recording_is_graded_on_the_scorecard_chosen_on_upload(client, app, owner_url):
    admin = await signed_up(client, app, owner_url)
    scorecard = (await client.post("/api/scorecards", headers=bearer(admin),
                                   json={"template": "bant"})).json()
    other = await signed_up(client, app, owner_url)
    theirs = (await client.post("/api/scorecards", headers=bearer(other),
                                json={"template": "spin"})).json()
    for wrong in (theirs["id"], "00000000-0000-4000-8000-000000000000"):
        refused = await upload(client, admin, zoom_vtt(), scorecard_id=wrong)
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "unknown_scorecard"
    assert (await upload(client, admin, zoom_vtt(), scorecard_id="nope")).status_code == 422
    assert stored(owner_url) == []
    accepted = await upload(client, admin, zoom_vtt(), rep_speaker="Priya Raman",
                            scorecard_id=scorecard["id"])
    assert accepted.status_code == 202, accepted.text
    await settled(app)
    report = (await client.get(f"{PATH}/{accepted.json()['id']}/feedback",
                               headers=bearer(admin))).json()["metrics"]
    assert report["scorecard"]["id"] == scorecard["id"]
    assert report["scorecard"]["methodology"] == "bant"
    assert [c["id"] for c in report["scorecard"]["criteria"]] == [
        c["id"] for c in scorecard["criteria"]]


async def test_what_probing_found_is_refused_or_matched_as_people_write_it(client, app,
                                                                         owner_url):
    tokens = await signed_up(client, app, owner_url)
    # a boundary the parser refuses (RFC 2046 allows 70 characters) is a malformed upload
    boundary = "b" * 1000
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.vtt\""
            f"\r\n\r\n").encode() + zoom_vtt() + f"\r\n--{boundary}--\r\n".encode()
    long_boundary = await client.post(PATH, content=body, headers={
        **bearer(tokens), "content-type": f"multipart/form-data; boundary={boundary}"})
    assert long_boundary.status_code == 422
    # names and times, nobody saying anything: refused, not left waiting for a speaker forever
    wordless = (b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nRita:\n\n"
                b"00:00:06.000 --> 00:00:09.000\nPaul:\n")
    assert (await upload(client, tokens, wordless)).status_code == 422
    assert stored(owner_url) == [] and used_seconds(owner_url) == []

    # a speaker's name as matched: composed or not, trimmed, at most 100 characters
    long_name = "L" * 150
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n"
           "<v Jose\u0301 Pe\u0301rez>Hola, ¿qué tal?</v>\n\n"
           f"00:00:06.000 --> 00:00:09.000\n<v {long_name}>Bien, gracias.</v>\n").encode()
    accepted = (await upload(client, tokens, vtt, title="a\x01\x1b[31mred\u202e")).json()
    await drain_jobs(app)
    path = f"{PATH}/{accepted['id']}"
    waiting = (await client.get(path, headers=bearer(tokens))).json()
    assert waiting["title"] == "a[31mred"  # no control or direction-override characters
    assert sorted(s["id"] for s in waiting["speakers"]) == ["José Pérez", "L" * 100]
    chosen = await client.post(f"{path}/speaker", headers=bearer(tokens),
                               json={"rep_speaker": " Jose\u0301 Pe\u0301rez "})
    assert chosen.status_code == 200 and chosen.json()["rep_speaker"] == "José Pérez"


async def test_a_transcript_longer_than_what_is_left_says_so(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    refused = await upload(client, tokens, vtt_of(61), rep_speaker="Rita Rep")
    assert refused.status_code == 402
    message = refused.json()["error"]["message"]
    assert "61 minutes long" in message and "60 minutes of recordings left" in message
