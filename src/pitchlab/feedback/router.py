"""GET a call's feedback: pending (202), ready or failed (200)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import DbSession
from pitchlab.errors import AppError, error_responses
from pitchlab.feedback.service import feedback_of
from pitchlab.practice import service as practice

router = APIRouter(tags=["feedback"])


class FeedbackOut(BaseModel):
    status: Literal["pending", "ready", "failed"]
    metrics: dict[str, Any] | None = None
    created_at: datetime | None = None
    error: str | None = None


@router.get(
    "/api/sessions/{session_id:uuid}/feedback",
    response_model=FeedbackOut,
    response_model_exclude_none=True,
    summary="The call's feedback",
    description="202 `{status: pending}` until it is ready; then 200 `{status: ready, metrics, "
    "created_at}` or 200 `{status: failed, error}`. A cancelled call has none (404). A skill "
    "the call gave no occasion for is `{score: null, status: not_observed, evidence: []}`; a "
    "call in which the rep said nothing has no skill scores and no strengths. "
    "`metrics.estimated` names the numbers estimated rather than measured (turn lengths are "
    "estimated from words), `metrics.not_measured` those the call could not have (0).",
    responses={202: {"model": FeedbackOut, "description": "Still being produced"},
               **error_responses(401, 404, 422)},
)
async def get_feedback(session_id: UUID, principal: CurrentPrincipal, session: DbSession):
    row = await practice.visible_session(session, principal, session_id)
    if row.status == "cancelled":
        raise AppError("not_found", "A cancelled call has no feedback.", 404)
    if row.feedback_status == "ready":
        stored = await feedback_of(session, row.id)
        if stored is not None:
            return FeedbackOut(status="ready", metrics=stored.metrics, created_at=stored.created_at)
    if row.feedback_status == "failed":
        return FeedbackOut(status="failed", error=row.feedback_error or "unknown error")
    return JSONResponse({"status": "pending"}, status_code=202)
