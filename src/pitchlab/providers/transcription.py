"""Speech-to-text for uploaded calls: ElevenLabs Scribe (raw httpx, as the rest of our ElevenLabs
traffic) or OpenAI's diarizing transcription model (the official SDK), each turned into
speaker-attributed utterances with real timestamps.

Failures come in the two kinds the recordings job acts on: ``TranscriptionRetryable`` (timeouts,
an unreachable vendor, 408/409/429/5xx: try again later) and ``TranscriptionFailed`` (the vendor
refused this file or this key for good, or answered something we cannot read). A failure's text
is shown to the user, so it names the vendor, the status and the vendor's error code only: a
vendor's message may quote the key it was given.

The audio goes as an open file object, which the HTTP client reads from disk in 64 KiB chunks:
a 200 MB recording is never held in memory. Neither adapter retries by itself (the SDK's own
retries are off): the job owns retries, and a retry inside a retry multiplies the waiting.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import httpx
from openai import APIConnectionError, APIStatusError, AsyncOpenAI, omit
from pydantic import BaseModel, ValidationError

from pitchlab.metrics import provider_call

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
# OpenAI refuses a request body over 25 MiB ("Maximum content size limit (26214400) exceeded"),
# counting the form around the file too: a file that leaves no room for it is refused here, before
# the upload is wasted.
OPENAI_MAX_BYTES = 26_214_400
OPENAI_MAX_FILE_BYTES = OPENAI_MAX_BYTES - 16 * 1024
# Scribe names languages in ISO-639-3; the analytics know these four.
_ISO_639_3_TO_1 = {"eng": "en", "spa": "es", "deu": "de", "fra": "fr"}
# A vendor's error code is shown only when it looks like one ("quota_exceeded"), never free text.
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class Utterance:
    speaker: str
    text: str
    start_seconds: float
    end_seconds: float


@dataclass(frozen=True)
class Transcription:
    language: str | None  # ISO-639-1 ("en", "es", ...), None if unknown
    duration_seconds: float
    utterances: list[Utterance]
    provider: str  # "elevenlabs" | "openai"


class TranscriptionRetryable(Exception):
    """The vendor could not do it now (timeout, unreachable, 408/409/429/5xx): the job retries."""


class TranscriptionFailed(Exception):
    """The vendor will not do it (refused key or file, unreadable answer); ``str()`` is safe to
    show the user."""


class Transcriber(Protocol):
    name: str

    async def transcribe(self, path: Path, *, media_type: str, filename: str,
                         language: str | None) -> Transcription: ...


def iso_639_1(code: str | None) -> str | None:
    """The two-letter code of a language the analytics know, from a two- or three-letter one;
    None for any other (a language we cannot analyse is as good as unknown)."""
    code = (code or "").strip().lower()
    return code if code in _ISO_639_3_TO_1.values() else _ISO_639_3_TO_1.get(code)


def is_retryable(status: int) -> bool:
    """The statuses the vendors' own SDKs retry: timeouts, conflicts, rate limits, their faults."""
    return status in (408, 409, 429) or status >= 500


def refusal(vendor: str, status: int, code: object) -> TranscriptionRetryable | TranscriptionFailed:
    shown = f"{status}, {code}" if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else status
    reason = f"{vendor} refused the transcription ({shown})"
    log.warning("%s", reason)
    return TranscriptionRetryable(reason) if is_retryable(status) else TranscriptionFailed(reason)


# --- ElevenLabs Scribe ---------------------------------------------------------------------------

class ScribeWord(BaseModel):
    text: str
    type: str = "word"  # "word" | "spacing" | "audio_event"
    start: float | None = None
    end: float | None = None
    speaker_id: str | None = None


class ScribeAnswer(BaseModel):
    words: list[ScribeWord]
    language_code: str | None = None
    audio_duration_secs: float | None = None


def utterances_from_words(words: Sequence[ScribeWord]) -> list[Utterance]:
    """Consecutive words of one speaker make an utterance, with the spacing between them as the
    vendor wrote it; spacing across a change of speaker, and audio events, are not speech."""
    utterances: list[Utterance] = []
    gap = ""
    for word in words:
        if word.type == "spacing":
            gap += word.text
            continue
        if word.type != "word":
            continue
        start = word.start if word.start is not None else (
            utterances[-1].end_seconds if utterances else 0.0)
        end = word.end if word.end is not None else start
        speaker = word.speaker_id or "speaker_0"  # undiarized: one voice
        last = utterances[-1] if utterances else None
        if last is not None and last.speaker == speaker:
            utterances[-1] = replace(last, text=last.text + gap + word.text, end_seconds=end)
        else:
            utterances.append(Utterance(speaker, word.text, start, end))
        gap = ""
    return utterances


def scribe_transcription(answer: ScribeAnswer) -> Transcription:
    utterances = utterances_from_words(answer.words)
    duration = answer.audio_duration_secs
    if duration is None:
        duration = max((w.end for w in answer.words if w.end is not None), default=0.0)
    return Transcription(language=iso_639_1(answer.language_code), duration_seconds=duration,
                         utterances=utterances, provider="elevenlabs")


class ElevenLabsTranscriber:
    name = "elevenlabs"

    def __init__(self, *, base_url: str, api_key: str, model: str,
                 timeout_seconds: float) -> None:
        self.url = f"{base_url.rstrip('/')}/v1/speech-to-text"
        self._api_key = api_key
        self.model = model
        # The read timeout is the long one: Scribe answers only once the whole file is done.
        self.timeout = httpx.Timeout(timeout_seconds, connect=CONNECT_TIMEOUT)

    async def transcribe(self, path: Path, *, media_type: str, filename: str,
                         language: str | None) -> Transcription:
        fields = {"model_id": self.model, "diarize": "true", "timestamps_granularity": "word",
                  # a laugh is not a word the rep said; fillers stay (no_verbatim is never sent)
                  "tag_audio_events": "false"}
        if language:
            fields["language_code"] = language
        async with provider_call("elevenlabs"):
            response = await self._post(path, fields, (filename, media_type))
            if response.status_code != 200:
                raise refusal("ElevenLabs", response.status_code, _scribe_error_code(response))
            try:
                answer = ScribeAnswer.model_validate_json(response.content)
            except ValidationError:
                raise TranscriptionFailed("ElevenLabs sent a transcription we could not read"
                                          ) from None
        return scribe_transcription(answer)

    async def _post(self, path: Path, fields: dict[str, str],
                    named: tuple[str, str]) -> httpx.Response:
        filename, media_type = named
        try:
            with path.open("rb") as audio:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    return await http.post(self.url, headers={"xi-api-key": self._api_key},
                                           data=fields,
                                           files={"file": (filename, audio, media_type)})
        except httpx.TimeoutException:
            raise TranscriptionRetryable("ElevenLabs did not answer in time") from None
        except httpx.TransportError as exc:
            raise TranscriptionRetryable(
                f"could not reach ElevenLabs: {type(exc).__name__}") from None


def _scribe_error_code(response: httpx.Response) -> object:
    """``detail.status`` of ``{"detail": {"status", "message"}}``; a 422's detail is a list."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail.get("status") if isinstance(detail, dict) else None


# --- OpenAI --------------------------------------------------------------------------------------

class DiarizedSegment(BaseModel):
    speaker: str
    text: str
    start: float
    end: float


class DiarizedAnswer(BaseModel):
    duration: float
    segments: list[DiarizedSegment]


def utterances_from_segments(segments: Sequence[DiarizedSegment]) -> list[Utterance]:
    """Consecutive segments of one speaker make an utterance (the model cuts at pauses too)."""
    utterances: list[Utterance] = []
    for segment in segments:
        text = segment.text.strip()
        last = utterances[-1] if utterances else None
        if last is not None and last.speaker == segment.speaker:
            utterances[-1] = replace(last, text=f"{last.text} {text}".strip(),
                                     end_seconds=segment.end)
        else:
            utterances.append(Utterance(segment.speaker, text, segment.start, segment.end))
    return utterances


class OpenAITranscriber:
    name = "openai"

    def __init__(self, *, api_key: str, base_url: str | None, model: str,
                 timeout_seconds: float) -> None:
        self._api_key = api_key
        self.base_url = base_url
        self.model = model
        self.timeout_seconds = timeout_seconds

    async def transcribe(self, path: Path, *, media_type: str, filename: str,
                         language: str | None) -> Transcription:
        if (await asyncio.to_thread(path.stat)).st_size > OPENAI_MAX_FILE_BYTES:
            raise TranscriptionFailed("the recording is over OpenAI's 25 MB limit")
        async with provider_call("openai"):
            content = await self._post(path, (filename, media_type), language)
            try:
                answer = DiarizedAnswer.model_validate_json(content)
            except ValidationError:
                raise TranscriptionFailed("OpenAI sent a transcription we could not read"
                                          ) from None
        # diarized_json names no language: only the one asked for is known
        return Transcription(language=iso_639_1(language), duration_seconds=answer.duration,
                             utterances=utterances_from_segments(answer.segments),
                             provider="openai")

    async def _post(self, path: Path, named: tuple[str, str], language: str | None) -> bytes:
        filename, media_type = named
        client = AsyncOpenAI(api_key=self._api_key, base_url=self.base_url,
                             timeout=self.timeout_seconds, max_retries=0)
        try:
            with path.open("rb") as audio:
                # The raw answer, so that one we cannot read is ours to refuse, not the SDK's
                # lenient model to pass on half-built.
                response = await client.audio.transcriptions.with_raw_response.create(
                    file=(filename, audio, media_type), model=self.model,
                    response_format="diarized_json", chunking_strategy="auto",
                    language=language or omit)
            return response.content
        except APIConnectionError as exc:  # APITimeoutError is one
            raise TranscriptionRetryable(
                f"could not reach OpenAI: {type(exc).__name__}") from None
        except APIStatusError as exc:
            raise refusal("OpenAI", exc.status_code, _openai_error_code(exc.body)) from None
        finally:
            await client.close()


def _openai_error_code(body: Any) -> object:
    """``error.code`` (else ``error.type``) of ``{"error": {"message", "type", "param", "code"}}``;
    the SDK hands over the ``error`` object itself when it found one."""
    error = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    return error.get("code") or error.get("type")
