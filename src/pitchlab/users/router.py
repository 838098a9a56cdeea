"""The signed-in user's own account."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from pitchlab.auth.dependencies import CurrentPrincipal
from pitchlab.deps import AppSettings, AppVault, ClientIp, DbSession, LiveStreams
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import Unauthorized
from pitchlab.practice.live import CONSENT_WITHDRAWN
from pitchlab.users import service
from pitchlab.users.errors import InvalidCurrentPassword, InvalidPassword
from pitchlab.users.schemas import (
    AccountDeletion,
    ConsentIn,
    ConsentList,
    ConsentOut,
    ExportOut,
    UserOut,
    UserUpdate,
)

router = APIRouter(prefix="/api/users/me", tags=["current user"])


@router.get(
    "", response_model=UserOut, summary="My profile", responses=error_responses(Unauthorized)
)
async def get_me(principal: CurrentPrincipal, session: DbSession) -> UserOut:
    return await service.profile(session, principal.user)


@router.put(
    "",
    response_model=UserOut,
    summary="Change my name, password or stored API keys",
    description="`role`, `company_id`, `email`, `email_verified` and quotas are not writable "
    "here (422). A wrong `current_password` is 403; a new password ends every session, this "
    "one included (sign in again). An API key set to null is deleted; keys are "
    "stored encrypted and only `configured` and `last4` ever come back.",
    responses=error_responses(Unauthorized, InvalidCurrentPassword, 422),
)
async def update_me(
    change: UserUpdate, principal: CurrentPrincipal, session: DbSession, settings: AppSettings,
    vault: AppVault, ip: ClientIp,
) -> UserOut:
    await service.update_profile(session, settings, vault, principal.user, change, ip)
    return await service.profile(session, principal.user)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Erase my account and personal data (GDPR)",
    responses=error_responses(Unauthorized, InvalidPassword, 422),
)
async def delete_me(
    body: AccountDeletion, principal: CurrentPrincipal, session: DbSession,
    settings: AppSettings, live_streams: LiveStreams,
) -> Response:
    ended_call = await service.delete_account(session, settings, principal.user, body.password)
    if ended_call is not None:
        live_streams.close(ended_call)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/export",
    response_model=ExportOut,
    summary="Everything Pitchlab holds about me (GDPR)",
    responses=error_responses(Unauthorized),
)
async def export_me(principal: CurrentPrincipal, session: DbSession, ip: ClientIp) -> ExportOut:
    return await service.export_data(session, principal.user, ip)


@router.post(
    "/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentOut,
    summary="Record a consent decision (append-only)",
    responses=error_responses(Unauthorized, 422),
)
async def give_consent(
    body: ConsentIn, request: Request, principal: CurrentPrincipal, session: DbSession,
    ip: ClientIp, live_streams: LiveStreams,
) -> ConsentOut:
    consent = await service.record_consent(
        session, principal.user, body, ip, request.headers.get("user-agent")
    )
    # A withdrawn voice_recording consent stops a voice call's recording now: its stream here
    # is closed with 4403. A stream served by another process refuses the next turn (its
    # transcript writes check the consent) and notices at its next heartbeat.
    call = await service.call_recording_without_consent(session, principal.user, body)
    if call is not None:
        live_streams.close(call, CONSENT_WITHDRAWN, "voice_recording consent withdrawn")
    return consent


@router.get(
    "/consents",
    response_model=ConsentList,
    summary="My current consent decisions, the latest per kind",
    responses=error_responses(Unauthorized),
)
async def list_consents(principal: CurrentPrincipal, session: DbSession) -> ConsentList:
    return ConsentList(items=await service.latest_consents(session, principal.user.id))
