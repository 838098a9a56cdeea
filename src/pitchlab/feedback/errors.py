"""What the feedback rules refuse (statuses: http/error_catalogue)."""

from __future__ import annotations

from pitchlab.kit.errors import NotFound


class NoFeedbackForCancelledCall(NotFound):
    default_message = "A cancelled call has no feedback."


class FeedbackPurged(NotFound):
    default_message = (
        "This call's feedback was deleted: the company keeps transcripts and feedback for a "
        "limited number of days (its retention)."
    )
