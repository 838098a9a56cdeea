"""Audio recordings: transcribed through the fake ElevenLabs (Scribe) and the fake OpenAI
(diarizing model), scored, metered by the transcribed length, and deleted with their user; a
vendor busy once is retried, one that refuses fails the recording with a reason; files kept in
an S3-compatible store (moto's S3 server) the same way as in the local folder."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import psycopg
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer

from pitchlab.app import create_app
from pitchlab.config import Settings
from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import PASSWORD, bearer, drain_jobs, invited_member, signed_up
from tests.conftest import make_settings
from tests.fakes.elevenlabs_server import FakeElevenLabs, scribe_words
from tests.fakes.http_server import serve_asgi
from tests.fakes.openai_server import FakeOpenAI, diarized_segments
from tests.recordings.test_recordings_api import PATH, settled, stored, upload, used_seconds

KEY = "xi-test-key"
OPENAI_KEY = "sk-test-transcription"
# A WAV header and a little silence: the fakes transcribe whatever they are sent.
WAV = b"RIFF\x24\x10\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00" + (
    b"\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x10\x00\x00" + b"\x00" * 4096)
SPOKEN = [("speaker_0", "Hi", 0.5, 0.8), ("speaker_0", "Dana,", 0.8, 1.2),
          ("speaker_0", "what", 1.3, 1.5), ("speaker_0", "slows", 1.5, 1.8),
          ("speaker_0", "your", 1.8, 2.0), ("speaker_0", "team", 2.0, 2.3),
          ("speaker_0", "down?", 2.3, 2.8), ("speaker_1", "Mostly", 3.5, 4.0),
          ("speaker_1", "the", 4.0, 4.1), ("speaker_1", "manual", 4.1, 4.6),
          ("speaker_1", "reporting.", 4.6, 5.4), ("speaker_2", "Agreed.", 6.0, 6.6),
          ("speaker_0", "How", 70.0, 70.3), ("speaker_0", "much", 70.3, 70.6),
          ("speaker_0", "time", 70.6, 71.0), ("speaker_0", "does", 71.0, 71.2),
          ("speaker_0", "it", 71.2, 71.3), ("speaker_0", "take?", 71.3, 71.9)]


@dataclass
class Service:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings


@contextlib.asynccontextmanager
async def service(settings: Settings) -> AsyncIterator[Service]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Service(app, client, settings)


@pytest.fixture
async def scribe(owner_url, tmp_path) -> AsyncIterator[tuple[Service, FakeElevenLabs]]:
    fake = FakeElevenLabs(api_key=KEY, agent_id="agent")
    fake.stt_words = scribe_words(SPOKEN)
    fake.stt_duration = 72.4
    async with serve_asgi(fake.app()) as url:
        settings = make_settings(owner_url, tmp_path, elevenlabs_api_key=KEY,
                                 elevenlabs_base_url=url)
        async with service(settings) as running:
            yield running, fake
    fake.released.set()


async def test_audio_is_transcribed_by_scribe_scored_and_deleted_with_its_user(scribe, owner_url):
    running, fake = scribe
    client, app = running.client, running.app
    admin = await signed_up(client, app, owner_url)
    rep = await invited_member(client, owner_url, admin["email"], "user")
    accepted = await upload(client, rep, WAV, name="discovery.wav", rep_speaker="speaker_0")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["kind"] == "audio"
    await settled(app)

    assert len(fake.uploads) == 1 and fake.uploads[0].size == len(WAV)
    recording = (await client.get(f"{PATH}/{accepted.json()['id']}", headers=bearer(rep))).json()
    assert recording["status"] == "ready" and recording["language"] == "en"
    assert [s["id"] for s in recording["speakers"]] == ["speaker_0", "speaker_1", "speaker_2"]
    assert recording["duration_seconds"] == 72.4
    assert used_seconds(owner_url) == [73]  # the transcribed length, rounded up
    feedback = (await client.get(f"{PATH}/{recording['id']}/feedback", headers=bearer(rep))).json()
    assert feedback["status"] == "ready" and feedback["metrics"]["source"] == "recording"
    turns = (await client.get(f"{PATH}/{recording['id']}/transcript",
                              headers=bearer(rep))).json()["turns"]
    assert [(t["speaker"], t["start_ms"]) for t in turns] == [
        ("rep", 500), ("prospect", 3500), ("rep", 70000)]

    key = stored(owner_url)[0][2]
    assert (running.settings.data_dir / "recordings" / key).is_file()
    gone = await client.request("DELETE", "/api/users/me", headers=bearer(rep),
                                json={"password": PASSWORD})
    assert gone.status_code == 204, gone.text
    await drain_jobs(app)
    assert stored(owner_url) == []
    assert not (running.settings.data_dir / "recordings" / key).exists()


async def test_a_vendors_refusal_fails_the_recording_with_a_reason(scribe, owner_url):
    running, fake = scribe
    client, app = running.client, running.app
    tokens = await signed_up(client, app, owner_url)
    fake.stt_script = ["401"]
    accepted = (await upload(client, tokens, WAV, name="call.wav")).json()
    await drain_jobs(app)
    recording = (await client.get(f"{PATH}/{accepted['id']}", headers=bearer(tokens))).json()
    assert recording["status"] == "failed"
    assert "ElevenLabs" in recording["failure"] and KEY not in recording["failure"]
    assert used_seconds(owner_url) == []  # nothing heard, nothing metered


async def test_a_vendor_busy_once_is_retried_and_the_recording_completes(scribe, owner_url):
    running, fake = scribe
    fake.stt_script = ["503"]  # busy, then it answers
    tokens = await signed_up(running.client, running.app, owner_url)
    accepted = (await upload(running.client, tokens, WAV, name="call.wav",
                             rep_speaker="speaker_0")).json()
    path = f"{PATH}/{accepted['id']}"
    await drain_jobs(running.app)
    waiting = (await running.client.get(path, headers=bearer(tokens))).json()
    assert waiting["status"] == "processing" and len(fake.uploads) == 1  # to be retried
    with psycopg.connect(libpq_dsn(owner_url)) as conn:  # the retry's time is now
        conn.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")
    await settled(running.app)
    ready = (await running.client.get(path, headers=bearer(tokens))).json()
    assert ready["status"] == "ready" and len(fake.uploads) == 2
    assert ready["feedback_status"] == "ready"


async def test_audio_longer_than_the_allowance_left_fails_unmetered(scribe, owner_url):
    running, fake = scribe
    fake.stt_duration = 3700.0  # over the trial's 60 minutes
    tokens = await signed_up(running.client, running.app, owner_url)
    accepted = (await upload(running.client, tokens, WAV, name="long.wav")).json()
    await drain_jobs(running.app)
    recording = (await running.client.get(f"{PATH}/{accepted['id']}",
                                          headers=bearer(tokens))).json()
    assert recording["status"] == "failed" and "minutes of recordings" in recording["failure"]
    assert used_seconds(owner_url) == []


async def test_audio_is_transcribed_by_openai_when_it_is_the_one_configured(owner_url, tmp_path):
    fake = FakeOpenAI(api_key=OPENAI_KEY)
    fake.segments = diarized_segments([("A", "What does your week look like?", 0.4, 2.9),
                                       ("B", "Busy, mostly reporting.", 3.2, 5.0)])
    async with serve_asgi(fake.app()) as url:
        settings = make_settings(owner_url, tmp_path, openai_api_key=OPENAI_KEY,
                                 openai_base_url=f"{url}/v1")
        async with service(settings) as running:
            tokens = await signed_up(running.client, running.app, owner_url)
            accepted = (await upload(running.client, tokens, WAV, name="call.wav",
                                     language="es")).json()
            await settled(running.app)
            path = f"{PATH}/{accepted['id']}"
            waiting = (await running.client.get(path, headers=bearer(tokens))).json()
            assert waiting["status"] == "needs_speaker" and waiting["language"] == "es"
            assert [s["id"] for s in waiting["speakers"]] == ["A", "B"]
            chosen = await running.client.post(f"{path}/speaker", headers=bearer(tokens),
                                               json={"rep_speaker": "A"})
            assert chosen.status_code == 200
            await drain_jobs(running.app)
            feedback = (await running.client.get(f"{path}/feedback",
                                                 headers=bearer(tokens))).json()
            assert feedback["status"] == "ready"
    assert fake.uploads[0].fields["language"] == "es"


@pytest.fixture
def s3_server() -> AsyncIterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=url, aws_access_key_id="test", aws_secret_access_key="test",
                 region_name="us-east-1").create_bucket(Bucket="pitchlab-recordings")
    yield url
    server.stop()


async def test_files_live_in_an_s3_compatible_bucket_when_one_is_configured(
    s3_server, owner_url, tmp_path,
):
    settings = make_settings(owner_url, tmp_path, s3_bucket="pitchlab-recordings",
                             s3_endpoint_url=s3_server, s3_access_key_id="test",
                             s3_secret_access_key="test")
    s3 = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="test",
                      aws_secret_access_key="test", region_name="us-east-1")
    vtt = (Path(__file__).parent / "samples" / "zoom_three_speakers.vtt").read_bytes()
    async with service(settings) as running:
        tokens = await signed_up(running.client, running.app, owner_url)
        accepted = (await upload(running.client, tokens, vtt, rep_speaker="Priya Raman")).json()
        await settled(running.app)
        key = f"recordings/{stored(owner_url)[0][2]}"
        assert s3.get_object(Bucket="pitchlab-recordings", Key=key)["Body"].read() == vtt
        ready = (await running.client.get(f"{PATH}/{accepted['id']}/feedback",
                                          headers=bearer(tokens))).json()
        assert ready["status"] == "ready"
        deleted = await running.client.delete(f"{PATH}/{accepted['id']}",
                                              headers=bearer(tokens))
        assert deleted.status_code == 204
    assert s3.list_objects_v2(Bucket="pitchlab-recordings").get("KeyCount", 0) == 0
    assert not (tmp_path / "recordings").exists() or not any((tmp_path / "recordings").iterdir())


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_a_200_mb_upload_streams_to_storage_with_flat_memory(scribe, owner_url):
    running, _ = scribe
    tokens = await signed_up(running.client, running.app, owner_url)
    size, chunk = 200 * 1000 * 1000, b"\x00" * (1 << 20)
    boundary = "pitchlab-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"rep_speaker\"\r\n\r\n"
            f"speaker_0\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"long.wav\"\r\nContent-Type: audio/wav\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    baseline, peak = _rss_bytes(), 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal peak
        yield head + WAV
        sent = len(WAV)
        while sent < size:
            piece = chunk[: min(len(chunk), size - sent)]
            sent += len(piece)
            peak = max(peak, _rss_bytes())  # sampled as each MB goes out
            yield piece
        yield tail

    answer = await running.client.post(
        PATH, content=body(), headers={**bearer(tokens),
                                       "content-type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status_code == 202, answer.text
    key = stored(owner_url)[0][2]
    assert (running.settings.data_dir / "recordings" / key).stat().st_size == size
    # 200 MB went through; the process grew by what a few buffers take, not by the file
    assert peak - baseline < 64 * 1024 * 1024, (baseline, peak)
