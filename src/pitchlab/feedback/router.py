"""GET a call's feedback: pending (202), ready or failed (200)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import DbSession
from pitchlab.feedback import service
from pitchlab.feedback.errors import NoFeedbackForCancelledCall
from pitchlab.feedback.schemas import FeedbackMetricsOut, FeedbackOut
from pitchlab.http.errors import error_responses
from pitchlab.models.values import FeedbackStatus, SkillStatus
from pitchlab.practice.errors import SessionNotFound

router = APIRouter(tags=["feedback"])


@router.get(
    "/api/sessions/{session_id:uuid}/feedback",
    response_model=FeedbackOut,
    response_model_exclude_none=True,
    summary="The call's feedback",
    description="202 `{status: pending}` until it is ready; then 200 `{status: ready, metrics, "
    "created_at}` or 200 `{status: failed, error}`. A cancelled call has none (404). A skill "
    f"the call gave no occasion for is `{{score: null, status: {SkillStatus.NOT_OBSERVED}, "
    "evidence: []}`; a call in which the rep said nothing has no skill scores and no strengths. "
    "`metrics.estimated` names the numbers estimated rather than measured (turn lengths are "
    "estimated from words), `metrics.not_measured` those the call could not have (0). "
    "`metrics.call_type` is the scenario's, and picks `metrics.reference` (the bands, each with "
    "its source); `metrics.moments` ties coaching to turns of the transcript (`turn_index`), "
    "each `quote` verbatim in that turn. Counts follow FEEDBACK.md.",
    responses={202: {"model": FeedbackOut, "description": "Still being produced"},
               **error_responses(401, SessionNotFound, NoFeedbackForCancelledCall, 422)},
)
async def get_feedback(
    session_id: UUID, principal: CurrentPrincipal, session: DbSession
) -> JSONResponse:
    return feedback_answer(await service.feedback_for(session, principal, session_id))


def feedback_answer(view: service.FeedbackView) -> JSONResponse:
    """A call's feedback as the endpoint answers it (a recording's too)."""
    if view.status == FeedbackStatus.PENDING:
        return JSONResponse({"status": FeedbackStatus.PENDING.value}, status_code=202)
    report = FeedbackOut(
        status=view.status, created_at=view.created_at, error=view.error,
        metrics=FeedbackMetricsOut.model_validate(view.metrics) if view.metrics else None,
    )
    # Absent rather than null at the top (a ready report has no error, a failed one no
    # metrics), while a not-observed skill keeps its `score: null` inside.
    absent = {name for name in ("metrics", "created_at", "error") if getattr(report, name) is None}
    return JSONResponse(report.model_dump(mode="json", exclude=absent))
