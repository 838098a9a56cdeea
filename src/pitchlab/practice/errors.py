"""What the practice rules refuse, one class per contract code (statuses: http/error_catalogue)."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden, NotFound, RetryLater


class SessionNotFound(NotFound):
    default_message = "No such session."


class OperatorsDoNotPractise(Forbidden):
    default_message = "Platform operators do not hold practice calls."


class OnlyAdminsListOthers(Forbidden):
    default_message = "Only admins can list other users' sessions."


class UnknownScenario(DomainError):
    code = "unknown_scenario"
    default_message = "No scenario has this id: GET /api/scenarios lists the ones you can use."

    def __init__(self, scenario_id: str | None) -> None:
        super().__init__(details={"scenario_id": scenario_id, "scenarios": "GET /api/scenarios"})


class SessionInProgress(DomainError):
    code = "session_in_progress"
    default_message = "You already have a practice call in progress."


class SessionNotInProgress(DomainError):
    code = "session_not_in_progress"
    default_message = "This call has ended."


class ConsentRequired(DomainError):
    code = "consent_required"
    default_message = (
        "Voice calls need your consent to voice recording first: POST /api/users/me/consents "
        "with kind \"voice_recording\" and granted true (or start a text call)."
    )

    def __init__(self, kind: str) -> None:
        super().__init__(details={"kind": kind, "consents": "POST /api/users/me/consents"})


# A client retrying after this lands on another process (behind a load balancer) or on this one
# restarted.
SHUTTING_DOWN_RETRY_AFTER_SECONDS = 5


class ServerShuttingDown(RetryLater):
    """This process is stopping (SIGTERM): it starts no new call. The contract's 503 code, so a
    client treats it like any other brief unavailability."""

    code = "service_unavailable"
    default_message = "This server is shutting down; try again in a few seconds."

    def __init__(self) -> None:
        super().__init__(
            retry_after_seconds=SHUTTING_DOWN_RETRY_AFTER_SECONDS,
            details={"retry_after_seconds": SHUTTING_DOWN_RETRY_AFTER_SECONDS},
        )
