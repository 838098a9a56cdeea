"""Operations endpoints (public): liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from pitchlab.deps import Context
from pitchlab.health.service import check_readiness
from pitchlab.http.errors import DATABASE_RETRY_AFTER_SECONDS, error_response

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
            "description": "Not ready: database unreachable, schema not at head, the"
            " in-process job worker down (it restarts by itself once the database answers), or"
            " the process shutting down (`checks.shutdown: draining`)"
        }
    },
)
async def readyz(context: Context) -> HealthOut | Response:
    readiness = await check_readiness(
        context.database, context.expected_revision, context.worker_health,
        draining=context.live_streams.draining,
    )
    if not readiness.ready:
        return error_response(
            503, "not_ready", "The service is not ready.", readiness.checks,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return HealthOut(status="ok", checks=readiness.checks)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(context: Context) -> Response:
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
