"""The FastAPI application: ``create_app(settings)`` wires middleware, routers and resources."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import URL

from pitchlab import __version__
from pitchlab import metrics as app_metrics
from pitchlab.admin.audit_logs import router as audit_router
from pitchlab.admin.router import router as admin_router
from pitchlab.alerts import service as alerts
from pitchlab.analytics.router import router as analytics_router
from pitchlab.assignments.router import router as assignments_router
from pitchlab.auth.router import router as auth_router
from pitchlab.billing.router import router as billing_router
from pitchlab.cache import cache_from_settings
from pitchlab.config import ResolvedSettings, Settings
from pitchlab.database_setup import head_revision
from pitchlab.db import Database, app_role_url, normalize_url
from pitchlab.demo.router import router as demo_router
from pitchlab.deps import AppContext, install_context, report_database_outage, unit_of_work
from pitchlab.feedback.router import router as feedback_router
from pitchlab.health.router import router as health_router
from pitchlab.http.body_limit import BodyLimitMiddleware, BodyTooLarge, handle_body_too_large
from pitchlab.http.caching import HttpCachingMiddleware
from pitchlab.http.connection_abort import ConnectionAbortMiddleware
from pitchlab.http.cors import EnvelopeCORSMiddleware
from pitchlab.http.errors import install_error_handlers
from pitchlab.http.metrics import HttpMetrics, MetricsMiddleware
from pitchlab.http.openapi import install_openapi
from pitchlab.http.proxy_headers import install_proxy_headers
from pitchlab.http.request_id import RequestIdMiddleware
from pitchlab.http.security_headers import SecurityHeadersMiddleware
from pitchlab.jobs.queue import WorkerResources, build_job_app
from pitchlab.jobs.supervisor import Backoff, WorkerHealth, supervise_worker
from pitchlab.observability.errors import install_error_reporting
from pitchlab.observability.setup import install as install_observability
from pitchlab.observability.setup import observe_database
from pitchlab.practice.elevenlabs_compat import router as elevenlabs_compat_router
from pitchlab.practice.live import LiveStreams
from pitchlab.practice.router import router as practice_router
from pitchlab.practice.stream import router as stream_router
from pitchlab.providers import Providers, build_providers
from pitchlab.recordings.router import router as recordings_router
from pitchlab.scenarios.router import router as scenarios_router
from pitchlab.scorecards.router import router as scorecards_router
from pitchlab.security.ratelimit import RateLimiter
from pitchlab.security.vault import KeyRing, Vault
from pitchlab.users.router import router as users_router
from pitchlab.web.install import install_web_app
from pitchlab.webhooks.router import router as webhooks_router

DESCRIPTION = """
Pitchlab's API: spoken sales role-play with an AI prospect, feedback on every call, companies with
admins and reps, trials, subscriptions and minute quotas.

Errors always have the body `{"error": {"code", "message", "details"}, "request_id"}`, and every
response carries `X-Request-ID`.
"""

# Endpoints that take file uploads (multipart) get PITCHLAB_MAX_UPLOAD_BYTES instead of the body
# limit: the contract's recordings upload, and the web app's form for it (web/recordings.py).
UPLOAD_PATHS = ("/api/recordings", "/recordings")


def create_app(settings: Settings, *, providers: Providers | None = None) -> FastAPI:
    """Build the app for ``settings``, whose ``database_url`` must already point at a database
    migrated to head (the CLI and the tests see to that), and whose secrets are all known."""
    resolved = settings.resolved()  # `pitchlab serve` passes the address it serves on
    vault = Vault(KeyRing.parse(resolved.encryption_keys.get_secret_value()))
    app_providers = providers or build_providers(resolved, vault)
    metrics = HttpMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = _app_role_url(resolved)
        database = Database(
            url,
            pool_size=resolved.database_pool_size,
            connect_timeout=resolved.database_connect_timeout_seconds,
            cache=cache_from_settings(resolved),
        )
        job_app = build_job_app(url, connect_timeout=resolved.database_connect_timeout_seconds)
        # every failed vendor call counts toward a "provider down" alert
        metrics.on_provider_error = alerts.provider_failure_reporter(database, resolved)
        # Everything allocated so far lives as long as the process: keep it out of the garbage
        # collector's full passes, whose pauses would otherwise show up as stream latency.
        gc.collect()
        gc.freeze()
        try:
            async with observe_database(traces, database.engine, resolved), job_app.open_async():
                context = AppContext(
                    settings=resolved, database=database, providers=app_providers, vault=vault,
                    limiter=RateLimiter(
                        resolved.redis_url.get_secret_value() if resolved.redis_url else None
                    ),
                    metrics=metrics, jobs=job_app,
                    live_streams=metrics.watching_streams(LiveStreams()),  # the gauge reads it
                    expected_revision=head_revision(),
                    # /readyz is 503 while an in-process worker is down
                    worker_health=(
                        WorkerHealth(running=True) if resolved.run_worker_in_process else None
                    ),
                )
                install_context(app, context)
                async with _in_process_worker(context):
                    yield
        finally:
            await app_providers.aclose()
            await database.dispose()

    app = FastAPI(title="Pitchlab", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    install_error_handlers(app, report_outage=report_database_outage)
    app.add_exception_handler(BodyTooLarge, handle_body_too_large)
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(practice_router)
    app.include_router(stream_router)
    app.include_router(elevenlabs_compat_router)
    app.include_router(feedback_router)
    app.include_router(billing_router)
    app.include_router(webhooks_router)
    app.include_router(audit_router)
    app.include_router(admin_router)
    app.include_router(demo_router)
    app.include_router(scorecards_router)
    app.include_router(analytics_router)
    app.include_router(assignments_router)
    app.include_router(scenarios_router)
    app.include_router(recordings_router)
    install_web_app(app)  # the pages (pitchlab.web), outside the OpenAPI document
    install_openapi(app, database_dependency=unit_of_work)

    # Added innermost first: request ids wrap everything, so even CORS rejections carry one.
    # The body limit is innermost of ours, so a 413 is counted and carries every header.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=resolved.max_body_bytes,
        larger_limits=dict.fromkeys(UPLOAD_PATHS, resolved.max_upload_bytes),
    )
    app.add_middleware(HttpCachingMiddleware)  # inside the metrics: a 304 is counted as one
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(
        EnvelopeCORSMiddleware,
        allow_origins=resolved.cors_origins,
        allow_credentials=False,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
        max_age=600,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=resolved.env == "production")
    install_error_reporting(app, resolved)  # inside the access line: errors carry request ids
    traces = install_observability(app, resolved)  # access line and traces, in the request id
    app.add_middleware(RequestIdMiddleware)
    install_proxy_headers(app, resolved.trusted_proxies)  # the scheme and client seen above
    # Outermost: it must see the server's own send callable, before anything wraps it.
    app.add_middleware(ConnectionAbortMiddleware)
    return app


def _app_role_url(settings: ResolvedSettings) -> URL:
    """The service connects as the application role, never the owner: row-level security
    applies to it."""
    return app_role_url(
        normalize_url(settings.database_url.get_secret_value()),
        settings.database_app_password.get_secret_value(),
        settings.database_app_role,
    )


@asynccontextmanager
async def _in_process_worker(context: AppContext) -> AsyncIterator[None]:
    """With ``run_worker_in_process`` (the default), ``pitchlab serve`` is complete on its own.
    The worker is supervised: a database outage stops it, and it starts again once it is over."""
    if context.worker_health is None:
        yield
        return
    settings = context.settings
    resources = WorkerResources(settings, context.database, context.providers)
    # Calls left hanging by a crash are ended now, not at the next periodic sweep.
    from pitchlab.practice.jobs import sweep_once

    await sweep_once(context.database, settings)
    backoff = Backoff(
        settings.worker_restart_backoff_seconds, settings.worker_restart_backoff_max_seconds
    )
    worker = asyncio.create_task(
        supervise_worker(context.jobs, resources, backoff=backoff, health=context.worker_health),
        name="pitchlab-in-process-worker",
        context=app_metrics.context_using(context.metrics),  # its jobs count into this app's
    )
    try:
        yield
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
