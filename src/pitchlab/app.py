"""The FastAPI application: ``create_app(settings)`` wires middleware, routers and resources."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from pitchlab import __version__
from pitchlab.config import DEFAULT_PUBLIC_URL, Settings
from pitchlab.database_setup import head_revision
from pitchlab.db import Database, app_role_url, normalize_url
from pitchlab.errors import install_error_handlers
from pitchlab.auth.router import router as auth_router
from pitchlab.feedback.router import router as feedback_router
from pitchlab.health.router import router as health_router
from pitchlab.http.body_limit import BodyLimitMiddleware, BodyTooLarge, handle_body_too_large
from pitchlab.http.connection_abort import ConnectionAbortMiddleware
from pitchlab.http.cors import EnvelopeCORSMiddleware
from pitchlab.http.metrics import HttpMetrics, MetricsMiddleware
from pitchlab.http.openapi import install_openapi
from pitchlab.http.request_id import RequestIdMiddleware
from pitchlab.http.security_headers import SecurityHeadersMiddleware
from pitchlab.jobs.queue import WorkerResources, build_job_app
from pitchlab.jobs.supervisor import Backoff, WorkerHealth, supervise_worker
from pitchlab.practice.live import LiveStreams
from pitchlab.practice.elevenlabs_compat import router as elevenlabs_compat_router
from pitchlab.practice.router import router as practice_router
from pitchlab.practice.stream import router as stream_router
from pitchlab.providers import Providers, build_providers
from pitchlab.security.ratelimit import RateLimiter
from pitchlab.security.vault import KeyRing, Vault
from pitchlab.users.router import router as users_router
from pitchlab.webhooks.router import router as webhooks_router

DESCRIPTION = """
Pitchlab's API: spoken sales role-play with an AI prospect, feedback on every call, companies with
admins and reps, trials, subscriptions and minute quotas.

Errors always have the body `{"error": {"code", "message", "details"}, "request_id"}`, and every
response carries `X-Request-ID`.
"""

# Endpoints that take file uploads (multipart) get PITCHLAB_MAX_UPLOAD_BYTES instead of the body
# limit: the contract's recordings upload, when it lands.
UPLOAD_PATHS = ("/api/recordings",)


def create_app(settings: Settings, *, providers: Providers | None = None) -> FastAPI:
    """Build the app for ``settings``, whose ``database_url`` must already point at a database
    migrated to head (the CLI and the tests see to that)."""
    required = ("database_url", "database_app_password", "jwt_secret", "encryption_keys")
    if any(getattr(settings, name) is None for name in required):
        raise ValueError(f"create_app needs these settings resolved: {', '.join(required)}")
    if settings.public_url is None:  # `pitchlab serve` passes the address it serves on
        settings = settings.model_copy(update={"public_url": DEFAULT_PUBLIC_URL})
    vault = Vault(KeyRing.parse(settings.encryption_keys.get_secret_value()))
    providers = providers or build_providers(settings, vault)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = app_role_url(
            normalize_url(settings.database_url.get_secret_value()),
            settings.database_app_password.get_secret_value(),
            settings.database_app_role,
        )
        database = Database(
            url,
            pool_size=settings.database_pool_size,
            connect_timeout=settings.database_connect_timeout_seconds,
        )
        app.state.database = database
        job_app = build_job_app(url, connect_timeout=settings.database_connect_timeout_seconds)
        # Everything allocated so far lives as long as the process: keep it out of the garbage
        # collector's full passes, whose pauses would otherwise show up as stream latency.
        gc.collect()
        gc.freeze()
        try:
            async with job_app.open_async():
                app.state.jobs = job_app
                resources = WorkerResources(settings, database, providers)
                async with _in_process_worker(app, settings, job_app, resources):
                    yield
        finally:
            await providers.aclose()
            await database.dispose()

    app = FastAPI(title="Pitchlab", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.expected_revision = head_revision()
    app.state.metrics = HttpMetrics()
    app.state.worker_health = None  # set while an in-process worker runs
    app.state.providers = providers
    app.state.live_streams = LiveStreams()
    app.state.vault = vault
    app.state.rate_limiter = RateLimiter(
        settings.redis_url.get_secret_value() if settings.redis_url else None
    )

    install_error_handlers(app)
    app.add_exception_handler(BodyTooLarge, handle_body_too_large)
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(practice_router)
    app.include_router(stream_router)
    app.include_router(elevenlabs_compat_router)
    app.include_router(feedback_router)
    app.include_router(webhooks_router)
    install_openapi(app)

    # Added innermost first: request ids wrap everything, so even CORS rejections carry one.
    # The body limit is innermost of ours, so a 413 is counted and carries every header.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        larger_limits={path: settings.max_upload_bytes for path in UPLOAD_PATHS},
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(
        EnvelopeCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
    app.add_middleware(
        SecurityHeadersMiddleware, https=settings.public_url.startswith("https://")
    )
    app.add_middleware(RequestIdMiddleware)
    # Outermost: it must see the server's own send callable, before anything wraps it.
    app.add_middleware(ConnectionAbortMiddleware)
    return app


@asynccontextmanager
async def _in_process_worker(
    app: FastAPI, settings: Settings, job_app, resources: WorkerResources
):
    """With ``run_worker_in_process`` (the default), ``pitchlab serve`` is complete on its own.
    The worker is supervised: a database outage stops it, and it starts again once it is over."""
    if not settings.run_worker_in_process:
        yield
        return
    # Calls left hanging by a crash are ended now, not at the next periodic sweep.
    from pitchlab.practice.jobs import sweep_once

    await sweep_once(resources.database, settings)
    health = WorkerHealth(running=True)  # starting now
    app.state.worker_health = health  # /readyz is 503 while this worker is down
    backoff = Backoff(
        settings.worker_restart_backoff_seconds, settings.worker_restart_backoff_max_seconds
    )
    worker = asyncio.create_task(
        supervise_worker(job_app, resources, backoff=backoff, health=health),
        name="pitchlab-in-process-worker",
    )
    try:
        yield
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
