"""``POST /api/webhooks/<source>``, one per installed source (``webhooks/sources/``). Public: the
signature is the authentication. The body is read raw, never parsed before it is verified."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from pitchlab.deps import AppSettings, DbSession
from pitchlab.http.errors import error_responses
from pitchlab.webhooks import service
from pitchlab.webhooks.errors import (
    InvalidPayload,
    InvalidSignature,
    StaleTimestamp,
    WebhookNotConfigured,
)
from pitchlab.webhooks.schemas import WebhookReceived
from pitchlab.webhooks.sources import WebhookSource, installed_sources

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


def _openapi_extra(source: type[WebhookSource]) -> dict[str, Any]:
    # The body is the provider's event, taken as bytes (the signature covers them exactly), so
    # FastAPI sees no body parameter; the description says what is expected.
    return {
        "parameters": [{
            "name": source.signature_header, "in": "header", "required": True,
            "schema": {"type": "string"},
            "description": "The provider's signature over the raw body.",
        }],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    }


def _add_route(source_type: type[WebhookSource]) -> None:
    async def receive(
        request: Request, session: DbSession, settings: AppSettings
    ) -> WebhookReceived:
        source = source_type.from_settings(settings)
        receipt = await service.receive(session, source, await request.body(), request.headers)
        return WebhookReceived(duplicate=receipt.duplicate)

    router.add_api_route(
        f"/{source_type.name}",
        receive,
        methods=["POST"],
        name=f"receive_{source_type.name}_webhook",
        response_model=WebhookReceived,
        summary=f"Receive a {source_type.name.capitalize()} event",
        description=source_type.description,
        responses=error_responses(
            InvalidSignature, StaleTimestamp, InvalidPayload, WebhookNotConfigured
        ),
        openapi_extra=_openapi_extra(source_type),
    )


for _source_type in installed_sources():
    _add_route(_source_type)
