"""What the feedback rules refuse (statuses: http/error_catalogue)."""

from __future__ import annotations

from pitchlab.kit.errors import NotFound


class NoFeedbackForCancelledCall(NotFound):
    default_message = "A cancelled call has no feedback."
