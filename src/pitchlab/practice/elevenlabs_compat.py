"""ElevenLabs-compatible entry point, so the official SDKs can use Pitchlab as their server.

The Python SDK's conversation client asks ``GET /v1/convai/conversation/get-signed-url`` with its
API key in ``xi-api-key``; here the "API key" is a Pitchlab access token and the "agent id" is the
practice session's id. The answer's ``signed_url`` is the session's stream with a fresh ticket.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.security import APIKeyHeader

from pitchlab.auth.dependencies import principal_from_token
from pitchlab.deps import AppSettings, DbSession
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import Unauthorized
from pitchlab.practice import service
from pitchlab.practice.errors import SessionNotFound
from pitchlab.practice.router import stream_url
from pitchlab.providers.elevenlabs_protocol import API_KEY_HEADER, SIGNED_URL_PATH, SignedUrlOut

router = APIRouter(tags=["elevenlabs compatibility"])

# The SDKs send their "API key" in this header; here it carries a Pitchlab access token. A
# security scheme of its own, so that the OpenAPI description says so.
_xi_api_key = APIKeyHeader(
    name=API_KEY_HEADER, scheme_name=API_KEY_HEADER, auto_error=False,
    description="A Pitchlab access token (from POST /api/auth/login), where the ElevenLabs SDKs "
    "send their API key.",
)


@router.get(
    SIGNED_URL_PATH,
    response_model=SignedUrlOut,
    summary="Signed stream URL for an ElevenLabs SDK client",
    description="`agent_id` is the id of one of your live practice sessions; `xi-api-key` is your "
    "access token.",
    responses=error_responses(401, 404, 422),
)
async def get_signed_url(
    session: DbSession,
    settings: AppSettings,
    agent_id: Annotated[str, Query(max_length=100)],
    xi_api_key: Annotated[str | None, Depends(_xi_api_key)],
) -> SignedUrlOut:
    if not xi_api_key:
        raise Unauthorized(
            "Send your access token (from POST /api/auth/login) in the xi-api-key header.",
            details={"reason": "missing"},
        )
    principal = await principal_from_token(session, settings, xi_api_key)
    try:
        session_id = UUID(agent_id)
    except ValueError:
        raise SessionNotFound from None
    row = await service.own_live_session(session, principal, session_id)
    ticket = await service.issue_ticket(session, settings, row)
    return SignedUrlOut(signed_url=stream_url(settings, row.id, ticket))
