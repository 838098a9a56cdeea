"""The app's Prometheus metrics: one ``Metrics`` (its own registry) per app, reachable from any
layer through a context variable.

Two apps in one process (the tests) must never share counters, so nothing here is global: the app
makes a ``Metrics``, and ``MetricsMiddleware`` makes it the current one for each request and
WebSocket, as the app's lifespan does for its in-process worker. Code that counts something calls
the functions below, which do nothing when no app is current (a CLI command, a separate
``pitchlab worker`` process, which serves no /metrics).

This module imports nothing of Pitchlab's: providers, the kernel and every domain may import it
(``pitchlab.kit`` imports the job queue, which imports the providers, so a metrics module there
would make a package cycle).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import AsyncIterator, Callable, Sized
from contextlib import asynccontextmanager
from typing import Literal, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

Provider = Literal["stripe", "openai", "elevenlabs", "resend", "calendly"]
PROVIDERS: tuple[Provider, ...] = ("stripe", "openai", "elevenlabs", "resend", "calendly")
FeedbackOutcome = Literal["succeeded", "failed", "retried"]
WebhookOutcome = Literal[
    "received", "duplicate", "rejected_signature", "rejected", "processed", "ignored", "failed"
]
# Vendor calls take from milliseconds (Stripe) to tens of seconds (a model's feedback).
_PROVIDER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

Streams = TypeVar("Streams", bound=Sized)


class Metrics:
    """Every series one app exposes on /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "pitchlab_http_requests", "HTTP requests answered, by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "pitchlab_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"], registry=self.registry,
        )
        self.open_streams = Gauge(
            "pitchlab_open_streams", "Live call streams this process serves.",
            registry=self.registry,
        )
        self.minutes_charged = Counter(
            "pitchlab_minutes_charged", "Call minutes charged to a quota.", registry=self.registry,
        )
        self.jobs_queued = Counter(
            "pitchlab_jobs_queued", "Jobs queued in reaction to a domain event, by job name "
            "(feedback: generate_feedback).", ["job"], registry=self.registry,
        )
        self.feedback_jobs = Counter(
            "pitchlab_feedback_jobs", "Feedback jobs run, by outcome: succeeded, retried (an "
            "attempt failed, another follows), failed (out of attempts).",
            ["outcome"], registry=self.registry,
        )
        self.webhook_events = Counter(
            "pitchlab_webhook_events", "Webhook deliveries and their handling, by outcome.",
            ["source", "outcome"], registry=self.registry,
        )
        self.provider_latency = Histogram(
            "pitchlab_provider_call_duration_seconds", "Time of a call to a vendor's API.",
            ["provider"], buckets=_PROVIDER_BUCKETS, registry=self.registry,
        )
        self.provider_errors = Counter(
            "pitchlab_provider_call_errors", "Calls to a vendor's API that failed.",
            ["provider"], registry=self.registry,
        )
        # Series an alert watches exist at 0 from the start: "no data" is not "no failures".
        for outcome in ("succeeded", "retried", "failed"):
            self.feedback_jobs.labels(outcome)
        for provider in PROVIDERS:
            self.provider_errors.labels(provider)
        # Told of each failed vendor call (the app sets it: alerts count them toward "down").
        self.on_provider_error: Callable[[str], None] | None = None

    def watching_streams(self, streams: Streams) -> Streams:
        """Report the size of this registry of live streams as the open-streams gauge, read at
        each scrape (so it is never out of step with the registry). Returns ``streams``."""
        self.open_streams.set_function(lambda: len(streams))
        return streams


_current: contextvars.ContextVar[Metrics | None] = contextvars.ContextVar(
    "pitchlab_metrics", default=None
)


def current() -> Metrics | None:
    return _current.get()


def use(metrics: Metrics) -> contextvars.Token[Metrics | None]:
    """Make ``metrics`` current in this context (``reset`` with the token when done)."""
    return _current.set(metrics)


def reset(token: contextvars.Token[Metrics | None]) -> None:
    _current.reset(token)


def context_using(metrics: Metrics) -> contextvars.Context:
    """A copy of this context in which ``metrics`` is current: for a task that outlives the code
    that starts it (``asyncio.create_task(..., context=...)``), such as the in-process worker."""
    context = contextvars.copy_context()
    context.run(_current.set, metrics)
    return context


# --- what the code counts ----------------------------------------------------------------------


def minute_charged() -> None:
    if (metrics := current()) is not None:
        metrics.minutes_charged.inc()


def job_queued(name: str) -> None:
    if (metrics := current()) is not None:
        metrics.jobs_queued.labels(name).inc()


def feedback_job(outcome: FeedbackOutcome) -> None:
    if (metrics := current()) is not None:
        metrics.feedback_jobs.labels(outcome).inc()


def webhook_event(source: str, outcome: WebhookOutcome) -> None:
    if (metrics := current()) is not None:
        metrics.webhook_events.labels(source, outcome).inc()


@asynccontextmanager
async def provider_call(provider: Provider) -> AsyncIterator[None]:
    """Time a call to a vendor's API; an exception out of the block counts as an error (and goes
    on). Each adapter wraps its vendor call in this, at the call site."""
    started = time.perf_counter()
    try:
        yield
    except Exception:  # not a cancellation: the caller went away, not the vendor
        if (metrics := current()) is not None:
            metrics.provider_errors.labels(provider).inc()
            if metrics.on_provider_error is not None:
                metrics.on_provider_error(provider)
        raise
    finally:
        if (metrics := current()) is not None:
            metrics.provider_latency.labels(provider).observe(time.perf_counter() - started)
