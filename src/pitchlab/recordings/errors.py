"""What the recording endpoints refuse, one class per reason (statuses: http/error_catalogue)."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden, NotFound


class RecordingNotFound(NotFound):
    """No such recording, or another user's (never revealed as existing)."""

    default_message = "There is no recording with this id."


class CompanyMembersOnly(Forbidden):
    """Recordings are scored within a company: a platform operator belongs to none."""

    default_message = "Recordings belong to a company's members: a platform operator has none."


class UnsupportedMediaType(DomainError):
    """Decided by the file's bytes, whatever its name or declared type says."""

    code = "unsupported_media_type"
    default_message = ("This file is not a recording or transcript Pitchlab reads: send audio "
                       "(wav, mp3, m4a, webm, ogg) or a meeting transcript (WebVTT or SRT).")


class BadUpload(DomainError):
    """A malformed upload or field (no file part, an over-long title, an unknown language):
    the contract's validation_error, for a body FastAPI cannot validate as it streams."""

    code = "validation_error"
    default_message = "The upload is malformed."


class TranscriptionNotConfigured(DomainError):
    """Audio needs a speech-to-text provider; transcripts do not."""

    code = "transcription_not_configured"
    default_message = ("Audio recordings need a speech-to-text provider, which this server does "
                       "not have set up; upload a meeting transcript (WebVTT or SRT) instead.")


class AllowanceExhausted(DomainError):
    """The company's minutes of recordings for this calendar month are used up."""

    code = "allowance_exhausted"
    default_message = ("Your company has used its minutes of recordings for this month; they "
                       "renew on the 1st (UTC), or with a larger plan.")


class NotAwaitingSpeaker(DomainError):
    """The rep's speaker can be chosen once, while the recording waits for it."""

    code = "speaker_already_chosen"  # 422, as the contract lists for this endpoint
    default_message = "This recording is not waiting for its rep's speaker."


class UnknownSpeaker(DomainError):
    code = "unknown_speaker"
    default_message = "No speaker of this recording has this name."
