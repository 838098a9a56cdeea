"""Recordings: upload (streamed to the file store), the monthly allowance, transcription, the
rep's speaker, and the call a recording becomes.

The life of a recording:
1. ``upload``: the file is streamed to the store and typed by its bytes. A transcript is read
   and parsed at once (its refusals are the upload's, 422) and its minutes are metered then; an
   audio file needs a speech-to-text provider (else 503) and is metered once transcribed.
   Stored as ``processing``; ``RecordingUploaded`` queues ``process``.
2. ``process`` (a job, retried): audio is transcribed; then the recording waits for the rep's
   speaker (``needs_speaker``) unless the upload named one the file has; with it, the recording
   becomes a call (``ready``) whose feedback the feedback worker produces.
3. ``choose_speaker``: the uploader names the rep's speaker; the call is made.

Minutes are metered per company and calendar month (UTC) in one conditional upsert
(``repository.meter``), so concurrent uploads never pass the allowance together.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any, get_args
from uuid import UUID, uuid4

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from pitchlab.audit import service as audit
from pitchlab.auth.dependencies import Principal
from pitchlab.billing import service as billing
from pitchlab.companies import service as companies
from pitchlab.config import Settings
from pitchlab.db import Database, system_context, tenant_context
from pitchlab.kit import cursors
from pitchlab.kit.events import publish
from pitchlab.models import Recording
from pitchlab.models.values import AuditAction, FeedbackStatus, Speaker, Turn
from pitchlab.practice import service as practice
from pitchlab.providers import Providers
from pitchlab.providers.storage import FileStore, FileWriter
from pitchlab.providers.transcription import Transcriber, Transcription, TranscriptionFailed
from pitchlab.recordings import repository, upload
from pitchlab.recordings.errors import (
    AllowanceExhausted,
    BadUpload,
    CompanyMembersOnly,
    NotAwaitingSpeaker,
    RecordingNotFound,
    TranscriptionNotConfigured,
    UnknownSpeaker,
)
from pitchlab.recordings.events import RecordingUploaded
from pitchlab.recordings.formats import Cue, FileKind, InvalidTranscript, parse_transcript
from pitchlab.recordings.schemas import (
    MAX_SPEAKER,
    MAX_TITLE,
    AllowanceOut,
    Language,
    RecordingAccepted,
    RecordingOut,
    SpeakerOut,
)
from pitchlab.scenarios.errors import UnknownScorecard
from pitchlab.scorecards import service as scorecards

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = get_args(Language)  # the schema's list, written once
# A meeting transcript is text: hours of talk are a few MB. Larger is no transcript we read.
MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024
SAMPLE_CHARS = 120


@dataclass(frozen=True)
class Uploader:
    """Who uploads, and what the upload may use."""

    principal: Principal
    settings: Settings
    database: Database
    files: FileStore
    transcription_configured: bool
    ip: str | None

    @classmethod
    def of(cls, principal: Principal, settings: Settings, database: Database,
           providers: Providers, ip: str | None) -> Uploader:
        return cls(principal=principal, settings=settings, database=database,
                   files=providers.files, transcription_configured=providers.transcriber
                   is not None, ip=ip)


def month_of(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def billed_seconds(duration_seconds: float) -> int:
    """Whole seconds, rounded up: a recording of 61.2 s uses 62."""
    return max(1, math.ceil(duration_seconds))


# --- the allowance -------------------------------------------------------------------------------

async def _allowed_seconds(session: AsyncSession, settings: Settings, company_id: UUID,
                           now: datetime) -> int:
    minutes = await billing.recording_minutes_per_month(session, settings, company_id, now)
    return minutes * 60


async def ensure_allowance_left(session: AsyncSession, settings: Settings,
                                company_id: UUID) -> None:
    """Before an upload streams in: refused at once when the month's minutes are used up."""
    now = datetime.now(UTC)
    allowed = await _allowed_seconds(session, settings, company_id, now)
    if await repository.used_seconds(session, company_id, month_of(now)) >= allowed:
        raise AllowanceExhausted


async def allowance(session: AsyncSession, settings: Settings,
                    principal: Principal) -> AllowanceOut:
    company_id, now = company_of(principal), datetime.now(UTC)
    allowed = await _allowed_seconds(session, settings, company_id, now)
    used = await repository.used_seconds(session, company_id, month_of(now))
    return AllowanceOut(month=now.strftime("%Y-%m"), allowed_seconds=allowed, used_seconds=used,
                        remaining_seconds=max(0, allowed - used))


async def _meter(session: AsyncSession, settings: Settings, row: Recording,
                 duration_seconds: float) -> None:
    """Charge the recording's minutes to its company's month (once), or AllowanceExhausted."""
    now = datetime.now(UTC)
    seconds = billed_seconds(duration_seconds)
    allowed = await _allowed_seconds(session, settings, row.company_id, now)
    if not await repository.meter(session, row.company_id, month_of(now), seconds, allowed):
        left = max(0, allowed - await repository.used_seconds(session, row.company_id,
                                                              month_of(now)))
        raise AllowanceExhausted(
            f"This recording is {math.ceil(seconds / 60)} minutes long; your company has "
            f"{left // 60} minutes of recordings left this month (they renew on the 1st, UTC).",
            details={"seconds": seconds, "remaining_seconds": left})
    row.metered_seconds, row.metered_month = seconds, month_of(now)


# --- upload -----------------------------------------------------------------------------------

def company_of(principal: Principal) -> UUID:
    return principal.company_id_or(CompanyMembersOnly)


@dataclass(frozen=True)
class Fields:
    title: str
    language: str | None
    rep_speaker: str | None
    scorecard_id: UUID | None


def _fields(received: upload.Received) -> Fields:
    """The title (default: the file's name), language, rep speaker and scorecard, checked."""
    fields = received.fields
    language = fields.get("language") or None
    if language is not None and language not in LANGUAGES:
        raise BadUpload(f"`language` must be one of {', '.join(LANGUAGES)}.")
    rep_speaker = fields.get("rep_speaker") or None
    if rep_speaker is not None and len(rep_speaker) > MAX_SPEAKER:
        raise BadUpload(f"`rep_speaker` is longer than {MAX_SPEAKER} characters.")
    title = _printable(fields.get("title") or "")
    if len(title) > MAX_TITLE:
        raise BadUpload(f"`title` is longer than {MAX_TITLE} characters.")
    title = title or _title_of_file(received.filename)
    return Fields(title, language, rep_speaker, _uuid_or_none(fields.get("scorecard_id")))


def _title_of_file(filename: str | None) -> str:
    """A title from the file's name (its stem, printable characters only, shortened): the name
    is the client's, and may hold anything a header can."""
    stem = PurePath((filename or "").replace("\\", "/")).stem
    return _printable(stem)[:MAX_TITLE] or "Recording"


def _printable(text: str) -> str:
    """Without control and direction-override characters (a title is shown in pages, lists
    and logs: no terminal escapes, no right-to-left spoofing)."""
    return "".join(char for char in text if char.isprintable()).strip()


def _uuid_or_none(value: str | None) -> UUID | None:
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise BadUpload("`scorecard_id` is not a UUID.") from None


async def receive_upload(session: AsyncSession, request: Request,
                         uploader: Uploader) -> RecordingAccepted:
    """The upload endpoint's work (the API's and the web page's): refused at once when the
    month's minutes are used up; then, as the upload may take minutes, the request's
    transaction is ended so that no pooled connection waits on it (what the upload writes has
    transactions of its own), and the file streams in."""
    await ensure_allowance_left(session, uploader.settings, company_of(uploader.principal))
    await session.commit()
    return await upload_recording(request, uploader)


async def upload_recording(request: Request, uploader: Uploader) -> RecordingAccepted:
    """Stream the upload to the store and record it (see the module's docstring). Whatever
    refuses it afterwards removes the stored file."""
    company_id = company_of(uploader.principal)
    key = f"{company_id}/{uploader.principal.user.id}/{uuid4()}"

    async def open_writer(kind: FileKind) -> FileWriter:
        if kind.kind == "audio" and not uploader.transcription_configured:
            raise TranscriptionNotConfigured
        return await uploader.files.open_writer(key)

    received = await upload.receive(request, open_writer)
    try:
        return await _record(uploader, company_id, key, received)
    except BaseException:
        await uploader.files.delete(key)
        raise


async def _record(uploader: Uploader, company_id: UUID, key: str,
                  received: upload.Received) -> RecordingAccepted:
    fields = _fields(received)
    cues = await _read_transcript(uploader.files, key, received) if (
        received.kind.kind == "transcript") else None
    async with uploader.database.transaction(tenant_context(company_id)) as session:
        if fields.scorecard_id is not None and not await scorecards.is_active(
                session, company_id, fields.scorecard_id):
            raise UnknownScorecard(details={"scorecard_id": str(fields.scorecard_id)})
        row = Recording(
            company_id=company_id, user_id=uploader.principal.user.id, title=fields.title,
            kind=received.kind.kind, media_type=received.kind.media_type,
            size_bytes=received.size_bytes, storage_key=key, language=fields.language,
            status="processing", rep_speaker=fields.rep_speaker,
            scorecard_id=fields.scorecard_id)
        if cues is not None:
            _hear(row, [_utterance(cue) for cue in cues])
            if fields.rep_speaker is not None:
                row.rep_speaker = _check_speaker(row, fields.rep_speaker)
            await _meter(session, uploader.settings, row, float(row.duration_seconds or 0))
        row = await repository.add(session, row)
        await publish(session, RecordingUploaded(recording_id=row.id, company_id=company_id))
        await audit.record(session, AuditAction.RECORDING_UPLOADED,
                           actor_id=uploader.principal.user.id, company_id=company_id,
                           target_type="recording", target_id=row.id, ip=uploader.ip,
                           details={"kind": row.kind, "size_bytes": row.size_bytes})
    return RecordingAccepted(id=row.id, status="processing", kind=row.kind)  # type: ignore[arg-type]


async def _read_transcript(files: FileStore, key: str, received: upload.Received) -> list[Cue]:
    if received.size_bytes > MAX_TRANSCRIPT_BYTES:
        raise BadUpload(f"A transcript is at most {MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MB.")
    data = await files.read(key, limit=MAX_TRANSCRIPT_BYTES)
    try:  # up to 50,000 cues: parsed off the event loop, which serves every other request
        cues = await anyio.to_thread.run_sync(parse_transcript, data, received.kind.media_type)
    except InvalidTranscript as error:
        raise BadUpload(str(error)) from None
    if not any(cue.text.strip() for cue in cues):  # names and times, nobody saying anything
        raise BadUpload("The transcript has no words: nobody says anything in it.")
    return cues


# --- what was heard ----------------------------------------------------------------------------

def speaker_name(name: str) -> str:
    """A speaker's name as it is matched: NFC (an é typed or composed is one letter), trimmed,
    at most MAX_SPEAKER characters (what ``rep_speaker`` takes)."""
    return unicodedata.normalize("NFC", name).strip()[:MAX_SPEAKER]


def _said(speaker: str, text: str, start: float, end: float) -> dict[str, Any]:
    return {"speaker": speaker_name(speaker), "text": text, "start": round(start, 3),
            "end": round(end, 3)}


def _utterance(cue: Cue) -> dict[str, Any]:
    return _said(cue.speaker, cue.text, cue.start_seconds, cue.end_seconds)


def _hear(row: Recording, utterances: list[dict[str, Any]]) -> None:
    """The conversation as read from the file, its speakers (who said how much, and their
    first words, to tell who is who) and its length."""
    row.utterances = utterances
    speakers: dict[str, dict[str, Any]] = {}
    spans: dict[str, list[tuple[float, float]]] = {}
    for said in utterances:
        speaker = speakers.setdefault(said["speaker"], {
            "id": said["speaker"], "words": 0, "seconds": 0.0,
            "sample": said["text"][:SAMPLE_CHARS]})
        speaker["words"] += len(said["text"].split())
        spans.setdefault(said["speaker"], []).append((said["start"], said["end"]))
    for name, speaker in speakers.items():
        speaker["seconds"] = round(spoken_seconds(spans[name]), 3)
    row.speakers = list(speakers.values())
    row.duration_seconds = _seconds(max((said["end"] for said in utterances), default=0.0))


def spoken_seconds(spans: list[tuple[float, float]]) -> float:
    """How long a speaker spoke: the union of their (start, end) spans, so that overlapping
    cues of one speaker are not counted twice."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def _seconds(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))


def _check_speaker(row: Recording, rep_speaker: str) -> str:
    """The speaker named (as matched: ``speaker_name``), or UnknownSpeaker listing them."""
    names = [speaker["id"] for speaker in row.speakers]
    if speaker_name(rep_speaker) not in names:
        raise UnknownSpeaker(details={"speakers": names})
    return speaker_name(rep_speaker)


def turns_of(utterances: list[dict[str, Any]], rep_speaker: str) -> list[Turn]:
    """The call's turns: the rep's speaker is the rep, everyone else the other side (a meeting
    of three is the rep versus the rest). Consecutive utterances of one side are one turn."""
    turns: list[Turn] = []
    for said in sorted(utterances, key=lambda u: (u["start"], u["end"])):
        side = Speaker.REP if said["speaker"] == rep_speaker else Speaker.PROSPECT
        start_ms, end_ms = int(said["start"] * 1000), int(said["end"] * 1000)
        if turns and turns[-1]["speaker"] == side:
            last = turns[-1]
            turns[-1] = {**last, "text": f"{last['text']} {said['text']}",
                         "end_ms": max(last["end_ms"], end_ms)}
        else:
            turns.append({"speaker": side, "text": said["text"], "start_ms": start_ms,
                          "end_ms": max(start_ms, end_ms)})
    return turns


async def _become_call(session: AsyncSession, row: Recording) -> None:
    """With the rep's speaker known: the call, its transcript, and its feedback queued."""
    assert row.rep_speaker is not None and row.utterances is not None
    row.session_id = await practice.record_real_call(
        session, user_id=row.user_id, company_id=row.company_id, language=row.language,
        scorecard_id=row.scorecard_id, started_at=row.created_at,
        duration_seconds=float(row.duration_seconds or 0),
        call_turns=turns_of(row.utterances, row.rep_speaker))
    row.status = "ready"


async def settle(session: AsyncSession, row: Recording) -> None:
    """After the file was heard: a call when the rep's speaker is known and heard, else wait
    for it."""
    names = {speaker["id"] for speaker in row.speakers}
    if row.rep_speaker is not None and speaker_name(row.rep_speaker) in names:
        row.rep_speaker = speaker_name(row.rep_speaker)
        await _become_call(session, row)
    else:
        row.rep_speaker = None
        row.status = "needs_speaker"


# --- processing (the job) -----------------------------------------------------------------

async def process(database: Database, settings: Settings, files: FileStore,
                  transcriber: Transcriber | None, recording_id: UUID) -> None:
    """Hear an uploaded recording (transcribe audio; a transcript was read on upload), meter
    audio's minutes, then ``settle``. TranscriptionRetryable leaves it processing for the
    job's retry; any other refusal fails it with a reason the uploader can read."""
    async with database.transaction(system_context("recordings")) as session:
        row = await repository.get(session, recording_id)
        if row is None or row.status != "processing":
            return  # deleted meanwhile, or done by an earlier attempt
        heard = row.utterances is not None
        key, media_type, language = row.storage_key, row.media_type, row.language
    transcription = None if heard else await _transcribe(files, transcriber, key, media_type,
                                                         language)
    async with database.transaction(system_context("recordings")) as session:
        row = await repository.get(session, recording_id, for_update=True)
        if row is None or row.status != "processing":
            return
        try:
            if transcription is not None:
                audio = _heard_audio(row, transcription)
                await _meter(session, settings, row, audio.duration_seconds)
            await settle(session, row)
        except (AllowanceExhausted, TranscriptionFailed) as error:
            _fail(row, error)
        await repository.save(session, row)


async def _transcribe(files: FileStore, transcriber: Transcriber | None, key: str,
                      media_type: str, language: str | None) -> Transcription | TranscriptionFailed:
    """The vendor's transcription, or the permanent refusal to record as the failure."""
    if transcriber is None:
        return TranscriptionFailed("speech-to-text is no longer configured")
    try:
        async with files.local_file(key) as path:
            return await transcriber.transcribe(path, media_type=media_type,
                                                filename=PurePath(key).name, language=language)
    except TranscriptionFailed as refused:
        return refused


def _heard_audio(row: Recording, transcription: Transcription | TranscriptionFailed
                 ) -> Transcription:
    """The transcription kept on the recording (a refusal raised, to fail it)."""
    if isinstance(transcription, TranscriptionFailed):
        raise transcription
    if not transcription.utterances:
        raise TranscriptionFailed("no speech was heard in the recording")
    _hear(row, [_said(u.speaker, u.text, u.start_seconds, u.end_seconds)
                for u in transcription.utterances])
    row.duration_seconds = _seconds(max(float(row.duration_seconds or 0),
                                        transcription.duration_seconds))
    if row.language is None and transcription.language in LANGUAGES:
        row.language = transcription.language
    return transcription


def _fail(row: Recording, error: Exception) -> None:
    row.status = "failed"
    row.failure = (error.message if isinstance(error, AllowanceExhausted)
                   else f"Transcription failed: {error}")[:500]


async def mark_failed(database: Database, recording_id: UUID, reason: str) -> None:
    """The job ran out of attempts (the vendor kept failing)."""
    async with database.transaction(system_context("recordings")) as session:
        row = await repository.get(session, recording_id, for_update=True)
        if row is not None and row.status == "processing":
            row.status, row.failure = "failed", reason[:500]
            await repository.save(session, row)


# --- the endpoints --------------------------------------------------------------------------

async def _own(session: AsyncSession, principal: Principal, recording_id: UUID, *,
               for_update: bool = False) -> Recording:
    """The caller's own recording; anyone else's (a colleague's, another company's): 404."""
    company_of(principal)
    row = await repository.get(session, recording_id, user_id=principal.user.id,
                               for_update=for_update)
    if row is None:
        raise RecordingNotFound
    return row


async def out(session: AsyncSession, row: Recording) -> RecordingOut:
    return (await outs(session, [row]))[0]


async def outs(session: AsyncSession, rows: list[Recording]) -> list[RecordingOut]:
    """The recordings as the API shows them; their calls' feedback read in one query."""
    statuses = await practice.feedback_statuses_of(
        session, [row.session_id for row in rows if row.session_id is not None])
    return [_out(row, statuses.get(row.session_id) if row.session_id else None)
            for row in rows]


def _out(row: Recording, feedback_status: FeedbackStatus | None) -> RecordingOut:
    return RecordingOut(
        id=row.id, title=row.title, kind=row.kind, status=row.status,  # type: ignore[arg-type]
        failure=row.failure, language=row.language,  # type: ignore[arg-type]
        speakers=[SpeakerOut(**speaker) for speaker in row.speakers],
        rep_speaker=row.rep_speaker,
        duration_seconds=float(row.duration_seconds) if row.duration_seconds is not None
        else None, session_id=row.session_id,
        feedback_status=feedback_status, created_at=row.created_at)  # type: ignore[arg-type]


async def get_recording(session: AsyncSession, principal: Principal,
                        recording_id: UUID) -> RecordingOut:
    return await out(session, await _own(session, principal, recording_id))


async def list_recordings(session: AsyncSession, principal: Principal, cursor: str | None,
                          limit: int) -> tuple[list[RecordingOut], str | None]:
    company_of(principal)
    rows = await repository.page_of_user(session, principal.user.id,
                                         cursors.decode_cursor(cursor), limit)
    kept, next_cursor = cursors.page(rows, limit, lambda row: (row.created_at, row.id))
    return await outs(session, kept), next_cursor


async def choose_speaker(session: AsyncSession, principal: Principal, recording_id: UUID,
                         rep_speaker: str) -> RecordingOut:
    row = await _own(session, principal, recording_id, for_update=True)
    if row.status != "needs_speaker":
        raise NotAwaitingSpeaker(details={"status": row.status})
    row.rep_speaker = _check_speaker(row, rep_speaker)
    await _become_call(session, row)
    return await out(session, await repository.save(session, row))


async def session_of(session: AsyncSession, principal: Principal, recording_id: UUID) -> UUID:
    """The call a recording became (its transcript and feedback are the call's); a recording
    not yet a call has neither: 404."""
    row = await _own(session, principal, recording_id)
    if row.session_id is None:
        raise RecordingNotFound("This recording has no transcript or feedback yet: it is "
                                f"{row.status.replace('_', ' ')}.")
    return row.session_id


async def delete_recording(session: AsyncSession, files: FileStore, principal: Principal,
                           recording_id: UUID, ip: str | None) -> None:
    """The recording, its file and the call it became (transcript and feedback); the minutes
    it used stay used."""
    row = await _own(session, principal, recording_id, for_update=True)
    await files.delete(row.storage_key)
    if row.session_id is not None:
        await practice.delete_real_call(session, row.session_id)
    await repository.remove(session, row)
    await audit.record(session, AuditAction.RECORDING_DELETED, actor_id=principal.user.id,
                       company_id=row.company_id, target_type="recording", target_id=row.id,
                       ip=ip, details=None)


# --- erasure and retention ----------------------------------------------------------------------

async def delete_files_of_user(files: FileStore, company_id: UUID | None, user_id: UUID) -> None:
    """After an account's erasure (its rows went with it): its files."""
    if company_id is not None:
        await files.delete_prefix(f"{company_id}/{user_id}/")


async def purge_expired(database: Database, files: FileStore, default_days: int,
                        now: datetime, batch: int = 500) -> int:
    """Retention: recordings uploaded longer ago than their company keeps calls go, files
    first (a file whose row remains is retried next run; never a row without its file)."""
    async with database.transaction(system_context("retention")) as session:
        cutoffs = await companies.retention_cutoffs(session, default_days, now)
    purged = 0
    for company_id, cutoff in cutoffs:
        async with database.transaction(system_context("retention")) as session:
            rows = await repository.created_before(session, company_id, cutoff, batch)
            for row in rows:
                await files.delete(row.storage_key)
            await repository.delete_rows(session, [row.id for row in rows])
            purged += len(rows)
    return purged
