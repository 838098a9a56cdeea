"""What the recordings domain tells the others (``pitchlab.kit.events``)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar
from uuid import UUID

from pitchlab.kit.events import DomainEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class RecordingUploaded(DomainEvent):
    """A recording's file is stored and its row written: it is to be heard (transcribed when
    audio) and turned into a call. Published in the upload's transaction."""

    name: ClassVar[str] = "recordings.recording_uploaded"
    recording_id: UUID
    company_id: UUID
