"""Operations endpoints (public): liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from pitchlab.errors import DATABASE_RETRY_AFTER_SECONDS, error_response
from pitchlab.health.service import check_readiness

router = APIRouter(tags=["operations"])


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = {}


@router.get("/healthz", response_model=HealthOut, summary="The process is running")
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=HealthOut,
    summary="The database answers, its migrations are at head and the in-process worker runs",
    responses={
        503: {
            "description": "Not ready: database unreachable, schema not at head, or the"
            " in-process job worker down (it restarts by itself once the database answers)"
        }
    },
)
async def readyz(request: Request) -> HealthOut | Response:
    state = request.app.state
    readiness = await check_readiness(
        state.database, state.expected_revision, getattr(state, "worker_health", None)
    )
    if not readiness.ready:
        return error_response(
            503, "not_ready", "The service is not ready.", readiness.checks,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return HealthOut(status="ok", checks=readiness.checks)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
