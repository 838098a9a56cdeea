"""The transcription adapters, each against a local server that speaks its vendor's speech-to-text
API: speakers grouped into utterances with their times, the language named, the file arriving
whole, and every failure sorted into "try again later" or "will never work", in words safe to
show the user."""

from __future__ import annotations

import hashlib
import socket
import tracemalloc

import pytest
from elevenlabs import AsyncElevenLabs, SpeechToTextChunkResponseModel
from openai import AsyncOpenAI
from openai.types.audio import TranscriptionDiarized

from pitchlab.config import Settings
from pitchlab.providers import build_transcriber
from pitchlab.providers.transcription import (
    OPENAI_MAX_BYTES,
    OPENAI_MAX_FILE_BYTES,
    ElevenLabsTranscriber,
    OpenAITranscriber,
    ScribeWord,
    Transcription,
    TranscriptionFailed,
    TranscriptionRetryable,
    Utterance,
    iso_639_1,
    utterances_from_words,
)
from pitchlab.security.vault import KeyRing, Vault
from tests.conftest import TEST_ENCRYPTION_KEYS
from tests.fakes.elevenlabs_server import FakeElevenLabs, scribe_words
from tests.fakes.http_server import serve_asgi
from tests.fakes.openai_server import diarized_segments, serving

XI_KEY = "xi-test-platform-key-0123456789"
OPENAI_KEY = "sk-test-platform-openai-key"
VAULT = Vault(KeyRing.parse(TEST_ENCRYPTION_KEYS))

# A three-way call: the rep, the buyer, the buyer's colleague, the rep again.
SPOKEN = [
    ("speaker_0", "Hola,", 0.0, 0.4), ("speaker_0", "¿qué", 0.5, 0.7),
    ("speaker_0", "tal?", 0.7, 1.0),
    ("speaker_1", "Bien,", 1.6, 1.9), ("speaker_1", "gracias.", 2.0, 2.5),
    ("speaker_2", "Eh,", 3.1, 3.3), ("speaker_2", "yo", 3.5, 3.6),
    ("speaker_2", "también.", 3.6, 4.1),
    ("speaker_0", "Perfecto.", 4.8, 5.4),
]
UTTERANCES = [
    Utterance("speaker_0", "Hola, ¿qué tal?", 0.0, 1.0),
    Utterance("speaker_1", "Bien, gracias.", 1.6, 2.5),
    Utterance("speaker_2", "Eh, yo también.", 3.1, 4.1),
    Utterance("speaker_0", "Perfecto.", 4.8, 5.4),
]


@pytest.fixture
async def scribe():
    fake = FakeElevenLabs(api_key=XI_KEY, agent_id="agent_unused",
                          stt_words=scribe_words(SPOKEN))
    async with serve_asgi(fake.app()) as base:
        fake.base_url = base
        try:
            yield fake
        finally:
            fake.released.set()


@pytest.fixture
async def openai_fake():
    async with serving(OPENAI_KEY) as (fake, base):
        fake.segments = diarized_segments([
            ("A", "Guten Tag, wie geht's?", 0.0, 1.2),
            ("A", "Haben Sie kurz Zeit?", 1.3, 2.4),
            ("B", "Ja, gerne.", 3.0, 3.8),
            ("C", "Ich höre auch zu.", 4.2, 5.5),
            ("A", "Sehr gut.", 6.0, 6.9),
        ])
        yield fake, base


@pytest.fixture
def audio(tmp_path):
    """A recording: bytes the fakes do not decode, an odd size so a lost chunk shows."""
    path = tmp_path / "call.mp3"
    path.write_bytes(hashlib.sha256(b"seed").digest() * 40_000 + b"tail")
    return path


def elevenlabs(fake: FakeElevenLabs, *, key: str = XI_KEY, timeout: float = 30.0,
               base_url: str | None = None) -> ElevenLabsTranscriber:
    return ElevenLabsTranscriber(base_url=base_url or fake.base_url, api_key=key,
                                 model="scribe_v2", timeout_seconds=timeout)


def openai(base_url: str, *, key: str = OPENAI_KEY, timeout: float = 30.0) -> OpenAITranscriber:
    return OpenAITranscriber(api_key=key, base_url=base_url, model="gpt-4o-transcribe-diarize",
                             timeout_seconds=timeout)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- ElevenLabs ----------------------------------------------------------------------------------

async def test_scribe_groups_three_speakers_into_utterances_with_their_times(scribe, audio):
    scribe.stt_language, scribe.stt_duration = "spa", 6.25
    got = await elevenlabs(scribe).transcribe(audio, media_type="audio/mpeg",
                                              filename="call.mp3", language="es")
    assert got == Transcription(language="es", duration_seconds=6.25, utterances=UTTERANCES,
                                provider="elevenlabs")
    [upload] = scribe.uploads
    assert upload.fields == {"model_id": "scribe_v2", "diarize": "true",
                             "timestamps_granularity": "word", "tag_audio_events": "false",
                             "language_code": "es"}
    assert scribe.keys_seen == [XI_KEY]


async def test_the_recording_reaches_scribe_whole_with_its_name_and_type(scribe, audio):
    await elevenlabs(scribe).transcribe(audio, media_type="audio/mpeg", filename="Call 1.mp3",
                                        language=None)
    [upload] = scribe.uploads
    assert (upload.filename, upload.content_type) == ("Call 1.mp3", "audio/mpeg")
    assert (upload.size, upload.sha256) == (audio.stat().st_size, sha256(audio))
    assert "language_code" not in upload.fields  # Scribe detects it


@pytest.mark.parametrize(("vendor_code", "language"), [
    ("eng", "en"), ("spa", "es"), ("deu", "de"), ("fra", "fr"), ("jpn", None), ("", None)])
async def test_scribe_languages_are_named_in_two_letters_when_the_analytics_know_them(
        scribe, audio, vendor_code, language):
    scribe.stt_language = vendor_code
    got = await elevenlabs(scribe).transcribe(audio, media_type="audio/mpeg",
                                              filename="call.mp3", language=None)
    assert got.language == language


async def test_without_a_duration_scribe_calls_last_until_its_last_word(scribe, audio):
    got = await elevenlabs(scribe).transcribe(audio, media_type="audio/mpeg",
                                              filename="call.mp3", language=None)
    assert got.duration_seconds == 5.4


@pytest.mark.parametrize("status", ["408", "409", "429", "500", "503"])
async def test_scribe_busy_or_down_is_retried_later(scribe, audio, status):
    scribe.stt_script = [status]
    with pytest.raises(TranscriptionRetryable) as caught:
        await elevenlabs(scribe).transcribe(audio, media_type="audio/mpeg", filename="call.mp3",
                                            language=None)
    assert status in str(caught.value)
    assert XI_KEY not in str(caught.value)


@pytest.mark.parametrize("status", ["400", "401", "403", "413", "422"])
async def test_scribe_refusing_the_file_or_key_fails_for_good_without_the_key(
        scribe, audio, status):
    scribe.stt_script = [status]
    with pytest.raises(TranscriptionFailed) as caught:
        await elevenlabs(scribe).transcribe(audio, media_type="audio/mpeg", filename="call.mp3",
                                            language=None)
    assert str(caught.value).startswith(f"ElevenLabs refused the transcription ({status}")
    assert XI_KEY not in str(caught.value)


async def test_a_wrong_scribe_key_fails_with_the_vendors_code_and_never_the_key(scribe, audio):
    wrong = "xi-wrong-key-that-must-not-leak"
    with pytest.raises(TranscriptionFailed) as caught:
        await elevenlabs(scribe, key=wrong).transcribe(
            audio, media_type="audio/mpeg", filename="call.mp3", language=None)
    assert str(caught.value) == "ElevenLabs refused the transcription (401, invalid_api_key)"
    assert scribe.keys_seen == [wrong]


async def test_an_unreadable_scribe_answer_fails_for_good(scribe, audio):
    scribe.stt_script = ["malformed"]
    with pytest.raises(TranscriptionFailed, match="could not read"):
        await elevenlabs(scribe).transcribe(audio, media_type="audio/mpeg", filename="call.mp3",
                                            language=None)


async def test_scribe_not_answering_in_time_is_retried_later(scribe, audio):
    scribe.stt_script = ["hang"]
    with pytest.raises(TranscriptionRetryable, match="in time"):
        await elevenlabs(scribe, timeout=0.3).transcribe(
            audio, media_type="audio/mpeg", filename="call.mp3", language=None)


async def test_scribe_unreachable_is_retried_later(scribe, audio):
    with socket.socket() as closed:  # a port nothing listens on once the block ends
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(TranscriptionRetryable, match="could not reach ElevenLabs"):
        await elevenlabs(scribe, base_url=f"http://127.0.0.1:{port}").transcribe(
            audio, media_type="audio/mpeg", filename="call.mp3", language=None)


async def test_the_fake_answers_as_the_official_sdk_reads_scribe(scribe, audio):
    """The fake's request and answer, checked by ElevenLabs' own SDK (a dev dependency)."""
    scribe.stt_duration = 6.25
    client = AsyncElevenLabs(api_key=XI_KEY, base_url=scribe.base_url)
    with audio.open("rb") as file:
        answer = await client.speech_to_text.convert(
            model_id="scribe_v2", file=("call.mp3", file, "audio/mpeg"), diarize=True,
            timestamps_granularity="word", tag_audio_events=False,
            request_options={"max_retries": 0})
    assert isinstance(answer, SpeechToTextChunkResponseModel)
    assert [w.speaker_id for w in answer.words if w.type == "word"] == [s for s, *_ in SPOKEN]


def test_audio_events_are_not_speech_and_spacing_is_kept_as_given():
    words = [ScribeWord(text="Well", start=0.0, end=0.3, speaker_id="speaker_0"),
             ScribeWord(text="  ", type="spacing", speaker_id="speaker_0"),
             ScribeWord(text="(laughter)", type="audio_event", start=0.3, end=0.9),
             ScribeWord(text="yes", start=1.0, end=1.2, speaker_id="speaker_0"),
             ScribeWord(text=" ", type="spacing", speaker_id="speaker_0"),
             ScribeWord(text="no", start=1.5, end=1.7, speaker_id="speaker_1")]
    assert utterances_from_words(words) == [Utterance("speaker_0", "Well  yes", 0.0, 1.2),
                                            Utterance("speaker_1", "no", 1.5, 1.7)]


@pytest.mark.parametrize(("code", "language"), [
    ("EN", "en"), ("es", "es"), ("deu", "de"), ("fra", "fr"), ("it", None), (None, None)])
def test_iso_639_1(code, language):
    assert iso_639_1(code) == language


# --- OpenAI --------------------------------------------------------------------------------------

async def test_openai_merges_a_speakers_consecutive_segments_into_utterances(openai_fake, audio):
    fake, base = openai_fake
    got = await openai(base).transcribe(audio, media_type="audio/mpeg", filename="call.mp3",
                                        language="de")
    assert got == Transcription(language="de", duration_seconds=6.9, provider="openai", utterances=[
        Utterance("A", "Guten Tag, wie geht's? Haben Sie kurz Zeit?", 0.0, 2.4),
        Utterance("B", "Ja, gerne.", 3.0, 3.8),
        Utterance("C", "Ich höre auch zu.", 4.2, 5.5),
        Utterance("A", "Sehr gut.", 6.0, 6.9),
    ])
    [upload] = fake.uploads
    assert upload.fields == {"model": "gpt-4o-transcribe-diarize",
                             "response_format": "diarized_json", "chunking_strategy": "auto",
                             "language": "de"}


async def test_the_recording_reaches_openai_whole_with_its_name_and_type(openai_fake, audio):
    fake, base = openai_fake
    got = await openai(base).transcribe(audio, media_type="audio/mp4", filename="call.m4a",
                                        language=None)
    assert got.language is None  # diarized_json does not say, and none was asked for
    [upload] = fake.uploads
    assert (upload.filename, upload.content_type) == ("call.m4a", "audio/mp4")
    assert (upload.size, upload.sha256) == (audio.stat().st_size, sha256(audio))
    assert "language" not in upload.fields


@pytest.mark.parametrize("size", [OPENAI_MAX_FILE_BYTES + 1, OPENAI_MAX_BYTES])
async def test_openai_refuses_a_file_over_25_mb_without_sending_it(openai_fake, tmp_path, size):
    fake, base = openai_fake
    big = tmp_path / "long.wav"
    with big.open("wb") as file:
        file.truncate(size)  # sparse: no disk, no time
    with pytest.raises(TranscriptionFailed, match="over OpenAI's 25 MB limit"):
        await openai(base).transcribe(big, media_type="audio/wav", filename="long.wav",
                                      language=None)
    assert fake.keys_seen == []


async def test_openai_takes_the_largest_file_its_25_mb_body_has_room_for(openai_fake, tmp_path):
    """The cap counts the whole body; the form around the largest file we send still fits."""
    fake, base = openai_fake
    edge = tmp_path / "edge.wav"
    with edge.open("wb") as file:
        file.truncate(OPENAI_MAX_FILE_BYTES)
    await openai(base).transcribe(edge, media_type="audio/wav", filename="e" * 200 + ".wav",
                                  language="fr")
    assert [upload.size for upload in fake.uploads] == [OPENAI_MAX_FILE_BYTES]


@pytest.mark.parametrize("status", ["408", "409", "429", "500", "503"])
async def test_openai_busy_or_down_is_retried_later(openai_fake, audio, status):
    fake, base = openai_fake
    fake.transcription_script = [status]
    with pytest.raises(TranscriptionRetryable) as caught:
        await openai(base).transcribe(audio, media_type="audio/mpeg", filename="call.mp3",
                                      language=None)
    assert str(caught.value) == f"OpenAI refused the transcription ({status}, scripted)"
    assert len(fake.uploads) == 1  # the job retries, not the SDK


@pytest.mark.parametrize("status", ["400", "403", "413", "422"])
async def test_openai_refusing_the_file_fails_for_good_without_the_key(openai_fake, audio, status):
    fake, base = openai_fake
    fake.transcription_script = [status]
    with pytest.raises(TranscriptionFailed) as caught:
        await openai(base).transcribe(audio, media_type="audio/mpeg", filename="call.mp3",
                                      language=None)
    assert str(caught.value) == f"OpenAI refused the transcription ({status}, scripted)"
    assert OPENAI_KEY not in str(caught.value)


async def test_a_wrong_openai_key_fails_with_the_vendors_code_and_never_the_key(
        openai_fake, audio):
    fake, base = openai_fake
    wrong = "sk-wrong-key-that-must-not-leak"
    with pytest.raises(TranscriptionFailed) as caught:
        await openai(base, key=wrong).transcribe(audio, media_type="audio/mpeg",
                                                 filename="call.mp3", language=None)
    assert str(caught.value) == "OpenAI refused the transcription (401, invalid_api_key)"
    assert fake.keys_seen == [wrong]


async def test_an_unreadable_openai_answer_fails_for_good(openai_fake, audio):
    fake, base = openai_fake
    fake.transcription_script = ["malformed"]
    with pytest.raises(TranscriptionFailed, match="could not read"):
        await openai(base).transcribe(audio, media_type="audio/mpeg", filename="call.mp3",
                                      language=None)


async def test_openai_not_answering_in_time_is_retried_later(openai_fake, audio):
    fake, base = openai_fake
    fake.transcription_script = ["hang"]
    with pytest.raises(TranscriptionRetryable, match="APITimeoutError"):
        await openai(base, timeout=0.3).transcribe(audio, media_type="audio/mpeg",
                                                   filename="call.mp3", language=None)


async def test_the_fake_answers_as_the_official_sdk_reads_diarized_json(openai_fake, audio):
    _, base = openai_fake
    async with AsyncOpenAI(api_key=OPENAI_KEY, base_url=base, max_retries=0) as client:
        raw = await client.audio.transcriptions.with_raw_response.create(
            file=audio, model="gpt-4o-transcribe-diarize", response_format="diarized_json",
            chunking_strategy="auto")
    answer = TranscriptionDiarized.model_validate_json(raw.content)
    assert [segment.speaker for segment in answer.segments] == ["A", "A", "B", "C", "A"]


# --- which one -----------------------------------------------------------------------------------

def settings(**keys) -> Settings:
    return Settings(_env_file=None, **{"elevenlabs_api_key": None, "openai_api_key": None, **keys})


def test_elevenlabs_is_preferred_when_both_keys_are_set():
    chosen = build_transcriber(settings(elevenlabs_api_key=XI_KEY, openai_api_key=OPENAI_KEY,
                                        elevenlabs_stt_model="scribe_v3",
                                        elevenlabs_base_url="http://scribe.test/"), VAULT)
    assert isinstance(chosen, ElevenLabsTranscriber)
    assert (chosen.name, chosen.model, chosen.url) == (
        "elevenlabs", "scribe_v3", "http://scribe.test/v1/speech-to-text")


def test_openai_transcribes_when_it_alone_has_a_key():
    chosen = build_transcriber(settings(elevenlabs_api_key="  ", openai_api_key=OPENAI_KEY,
                                        openai_base_url="http://llm.test/v1",
                                        transcription_timeout_seconds=42), VAULT)
    assert isinstance(chosen, OpenAITranscriber)
    assert (chosen.name, chosen.model, chosen.base_url, chosen.timeout_seconds) == (
        "openai", "gpt-4o-transcribe-diarize", "http://llm.test/v1", 42)


def test_no_transcriber_without_a_key():
    assert build_transcriber(settings(), VAULT) is None


# --- memory --------------------------------------------------------------------------------------

@pytest.mark.parametrize("vendor", ["elevenlabs", "openai"])
async def test_the_recording_is_streamed_from_disk_not_held_in_memory(
        scribe, openai_fake, tmp_path, vendor):
    """Python's allocations stay far below the file's size while it is sent (the fakes, in this
    process too, spool it to disk)."""
    size = 20 * 1024 * 1024
    path = tmp_path / "long.wav"
    with path.open("wb") as file:
        file.truncate(size)
    transcriber = elevenlabs(scribe) if vendor == "elevenlabs" else openai(openai_fake[1])
    tracemalloc.start()
    try:
        await transcriber.transcribe(path, media_type="audio/wav", filename="long.wav",
                                     language=None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size / 4
