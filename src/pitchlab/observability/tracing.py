"""OpenTelemetry traces, exported over OTLP/HTTP when an endpoint is configured; off otherwise.

Off means off: nothing of the SDK is imported and no middleware is added. On, each app has its own
``TracerProvider`` (never installed as the process-wide global), so two apps in one process (the
tests) do not share spans; the instrumentations are handed that provider explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

    from pitchlab.config import Settings

# Whether any app in this process traces: the log processor asks the span only then, so a
# process without tracing never imports OpenTelemetry.
_active_providers = 0


class Tracing:
    """One app's tracing: its provider, and what was instrumented with it."""

    def __init__(self, endpoint: str, service_name: str) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # The standard variable names the base URL; the signal's path is ours to add.
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
        self.provider: TracerProvider = TracerProvider(
            resource=Resource.create({"service.name": service_name})
        )
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self._httpx_instrumented = False

    def instrument_app(self, app: FastAPI) -> None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # Wraps the whole middleware stack, so our access line is written inside the span.
        FastAPIInstrumentor.instrument_app(app, tracer_provider=self.provider)

    def instrument_engine(self, engine: AsyncEngine) -> None:
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import NoOpMeterProvider

        # EngineTracer on this engine only: SQLAlchemyInstrumentor would also patch
        # create_engine for the whole process.
        tracer = self.provider.get_tracer("pitchlab.db")
        usage = NoOpMeterProvider().get_meter("pitchlab.db").create_up_down_counter("unused")
        EngineTracer(tracer, engine.sync_engine, usage)

    def instrument_httpx(self) -> None:
        """httpx's instrumentation patches the library for the process (there is no other
        hook for clients built elsewhere); ``shutdown`` takes it off again."""
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        instrumentor = HTTPXClientInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=self.provider)
            self._httpx_instrumented = True

    def start(self) -> None:
        global _active_providers
        _active_providers += 1

    def shutdown(self) -> None:
        """Flush the spans still batched, and stop exporting."""
        global _active_providers
        _active_providers = max(0, _active_providers - 1)
        if self._httpx_instrumented:
            from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

            HTTPXClientInstrumentor().uninstrument()
            self._httpx_instrumented = False
        self.provider.shutdown()


def from_settings(settings: Settings) -> Tracing | None:
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint:
        return None
    return Tracing(endpoint, settings.otel_service_name)


def current_ids() -> tuple[str, str] | None:
    """The active span's trace and span ids (hex, as tracing back ends show them), if any."""
    if not _active_providers:
        return None
    from opentelemetry import trace

    span_context: Any = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
