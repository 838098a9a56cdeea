"""Recording endpoints (API.md, "Recordings")."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import AppDatabase, AppProviders, AppSettings, ClientIp, DbSession
from pitchlab.feedback import service as feedback
from pitchlab.feedback.router import feedback_answer
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import InvalidCursor
from pitchlab.practice import service as practice
from pitchlab.practice.router import transcript_out
from pitchlab.practice.schemas import TranscriptOut
from pitchlab.recordings import service
from pitchlab.recordings.errors import (
    AllowanceExhausted,
    BadUpload,
    CompanyMembersOnly,
    NotAwaitingSpeaker,
    RecordingNotFound,
    TranscriptionNotConfigured,
    UnknownSpeaker,
    UnsupportedMediaType,
)
from pitchlab.recordings.schemas import (
    RecordingAccepted,
    RecordingList,
    RecordingOut,
    SpeakerChoice,
)
from pitchlab.scenarios.errors import UnknownScorecard

router = APIRouter(tags=["recordings"])
PATH = "/api/recordings"
UPLOAD_BODY = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary", "description":
                     "Audio (wav, mp3, m4a, webm, ogg) or a meeting transcript (WebVTT or "
                     "SRT with speaker names), recognised by its bytes."},
            "language": {"type": "string", "enum": list(service.LANGUAGES)},
            "rep_speaker": {"type": "string", "maxLength": 100, "description":
                            "Which speaker is the rep, as the file names them."},
            "title": {"type": "string", "maxLength": 200},
            "scorecard_id": {"type": "string", "format": "uuid", "description":
                             "One of the company's scorecards (GET /api/scorecards) to grade "
                             "the call on, beside the five skills."},
        }}}}},
}


@router.post(
    PATH, status_code=status.HTTP_202_ACCEPTED, response_model=RecordingAccepted,
    summary="Upload a real call for feedback",
    description="Streamed to storage as it arrives (up to `PITCHLAB_MAX_UPLOAD_BYTES`, 413 "
    "beyond). A transcript is read at once: its errors are 422 and its minutes are metered now; "
    "audio is transcribed by a job and metered then. 402 `allowance_exhausted` once the "
    "company's minutes of recordings for the calendar month (UTC) are used; 503 "
    "`transcription_not_configured` for audio without a speech-to-text provider. Poll GET "
    "/api/recordings/{id}: `needs_speaker` asks for POST .../speaker.",
    openapi_extra=UPLOAD_BODY,
    responses=error_responses(401, CompanyMembersOnly, BadUpload, UnsupportedMediaType,
                              AllowanceExhausted, TranscriptionNotConfigured, UnknownSpeaker,
                              UnknownScorecard, 413),
)
async def upload(request: Request, principal: CurrentPrincipal, session: DbSession,
                 settings: AppSettings, database: AppDatabase, providers: AppProviders,
                 ip: ClientIp) -> RecordingAccepted:
    return await service.receive_upload(
        session, request, service.Uploader.of(principal, settings, database, providers, ip))


@router.get(PATH, response_model=RecordingList,
            summary="The caller's recordings, newest first, and the company's allowance",
            responses=error_responses(401, CompanyMembersOnly, InvalidCursor))
async def list_recordings(
    principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RecordingList:
    items, next_cursor = await service.list_recordings(session, principal, cursor, limit)
    return RecordingList(items=items, next_cursor=next_cursor,
                         allowance=await service.allowance(session, settings, principal))


@router.get(PATH + "/{recording_id:uuid}", response_model=RecordingOut,
            summary="One recording",
            responses=error_responses(401, CompanyMembersOnly, RecordingNotFound, 422))
async def get_recording(recording_id: UUID, principal: CurrentPrincipal,
                        session: DbSession) -> RecordingOut:
    return await service.get_recording(session, principal, recording_id)


@router.post(PATH + "/{recording_id:uuid}/speaker", response_model=RecordingOut,
             summary="Say which speaker is the rep; scoring starts",
             responses=error_responses(401, CompanyMembersOnly, RecordingNotFound,
                                       NotAwaitingSpeaker, UnknownSpeaker, 422))
async def choose_speaker(recording_id: UUID, body: SpeakerChoice, principal: CurrentPrincipal,
                         session: DbSession) -> RecordingOut:
    return await service.choose_speaker(session, principal, recording_id, body.rep_speaker)


@router.get(PATH + "/{recording_id:uuid}/transcript", response_model=TranscriptOut,
            summary="The recording's call, turn by turn (the rep versus everyone else)",
            responses=error_responses(401, CompanyMembersOnly, RecordingNotFound, 422))
async def transcript(recording_id: UUID, principal: CurrentPrincipal,
                     session: DbSession) -> TranscriptOut:
    session_id = await service.session_of(session, principal, recording_id)
    row, stored = await practice.visible_transcript(session, principal, session_id)
    return transcript_out(row, stored)


@router.get(PATH + "/{recording_id:uuid}/feedback",
            summary="The recording's feedback, as a call's (202 while pending)",
            responses=error_responses(401, CompanyMembersOnly, RecordingNotFound, 422))
async def recording_feedback(recording_id: UUID, principal: CurrentPrincipal,
                             session: DbSession) -> Response:
    session_id = await service.session_of(session, principal, recording_id)
    return feedback_answer(await feedback.feedback_for(session, principal, session_id))


@router.delete(PATH + "/{recording_id:uuid}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a recording, its file and its call",
               responses=error_responses(401, CompanyMembersOnly, RecordingNotFound, 422))
async def delete_recording(recording_id: UUID, principal: CurrentPrincipal, session: DbSession,
                           providers: AppProviders, ip: ClientIp) -> Response:
    await service.delete_recording(session, providers.files, principal, recording_id, ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
