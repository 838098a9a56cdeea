"""Request and response bodies of the recording endpoints (API.md, "Recordings")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from pitchlab.http.validation import NOT_BLANK_PATTERN, RequestBody

Language = Literal["en", "es", "de", "fr"]
Status = Literal["processing", "needs_speaker", "ready", "failed"]
Kind = Literal["audio", "transcript"]
MAX_TITLE = 200
MAX_SPEAKER = 100


class RecordingAccepted(BaseModel):
    id: UUID
    status: Status
    kind: Kind


class SpeakerOut(BaseModel):
    id: str = Field(description="As the file names the speaker (a transcript's name, or the "
                    "transcription's label such as `speaker_0`): what `rep_speaker` takes.")
    words: int
    seconds: float
    sample: str = Field(description="The speaker's first words, to tell who is who.")


class RecordingOut(BaseModel):
    id: UUID
    title: str
    kind: Kind
    status: Status
    failure: str | None = Field(default=None, description="Why a failed recording failed.")
    language: Language | None
    speakers: list[SpeakerOut]
    rep_speaker: str | None
    duration_seconds: float | None
    session_id: UUID | None = Field(description="The call the recording became once its rep's "
                                    "speaker is known (listed in GET /api/sessions).")
    feedback_status: Literal["pending", "ready", "failed"] | None
    created_at: datetime


class AllowanceOut(BaseModel):
    """The company's minutes of recordings this calendar month (UTC), apart from practice
    minutes: an audio file is metered by its transcribed length, a transcript by its last cue."""

    month: str = Field(description="YYYY-MM, UTC; the allowance renews on the 1st.")
    allowed_seconds: int
    used_seconds: int
    remaining_seconds: int


class RecordingList(BaseModel):
    items: list[RecordingOut]
    next_cursor: str | None
    allowance: AllowanceOut


class SpeakerChoice(RequestBody):
    rep_speaker: str = Field(min_length=1, max_length=MAX_SPEAKER, pattern=NOT_BLANK_PATTERN)
