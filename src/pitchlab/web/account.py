"""Settings: the signed-in user's own account, through the same services as /api/users/me:
profile, password, their own API keys (masked), consents, export and deleting the account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pitchlab.auth.dependencies import Principal
from pitchlab.deps import AppSettings, AppVault, ClientIp, LiveStreams
from pitchlab.models.values import ConsentKind
from pitchlab.practice.live import CONSENT_WITHDRAWN
from pitchlab.security.vault import PROVIDERS
from pitchlab.users import service
from pitchlab.users.schemas import AccountDeletion, ConsentIn, UserUpdate
from pitchlab.web.pages import redirect, render
from pitchlab.web.public import form_values
from pitchlab.web.routing import WebRoute, form_errors
from pitchlab.web.session import BrowserUser, CsrfChecked, sign_out
from pitchlab.web.unit_of_work import DbSession

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# The version of the consent texts this page asks about.
CONSENT_VERSION = "web-1"
CONSENT_LABELS = {
    ConsentKind.VOICE_RECORDING: ("Voice recording",
                                  "Record my voice during practice calls."),
    ConsentKind.AI_ANALYSIS: ("AI analysis",
                              "Let an AI model analyse my calls for feedback."),
    ConsentKind.MARKETING: ("Marketing email", "Send me product news and tips."),
    ConsentKind.TERMS: ("Terms of service", "I accept Pitchlab's terms of service."),
}
PROVIDER_LABELS = {"openai": "OpenAI", "elevenlabs": "ElevenLabs"}
# What a finished form says when the browser comes back to the page (?done=...).
DONE = {
    "name": "Your name is saved.",
    "key": "Your API key is saved. Only its last four characters are shown.",
    "key-deleted": "Your API key is deleted.",
    "consent": "Your consent choice is recorded.",
}


async def _context(session: DbSession, principal: Principal, **extra: Any) -> dict[str, Any]:
    consents = {c.kind: c for c in await service.latest_consents(session, principal.user.id)}
    return {
        "nav": "settings",
        "profile": await service.profile(session, principal.user),
        "consents": [
            {"kind": kind.value, "label": label, "text": text, "record": consents.get(kind)}
            for kind, (label, text) in CONSENT_LABELS.items()
        ],
        "providers": [(p, PROVIDER_LABELS.get(p, p)) for p in PROVIDERS],
        "form": {},
        "section": None,
        **extra,
    }


@router.get("/settings")
async def settings_page(
    request: Request, principal: BrowserUser, session: DbSession,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    context = await _context(session, principal)
    return render(request, "settings/index.html",
                  {**context, "message": DONE.get(done or "")}, principal=principal)


@router.post("/settings/profile", dependencies=[CsrfChecked])
async def change_name(
    request: Request, principal: BrowserUser, session: DbSession, settings: AppSettings,
    vault: AppVault, ip: ClientIp,
) -> Response:
    values = await form_values(request, "name")
    context = await _context(session, principal, form=values, section="profile")
    with form_errors("settings/index.html", context, principal=principal):
        change = UserUpdate.model_validate(values)
        await service.update_profile(session, settings, vault, principal.user, change, ip)
    return redirect(request, "/settings?done=name")


@router.post("/settings/password", dependencies=[CsrfChecked])
async def change_password(
    request: Request, principal: BrowserUser, session: DbSession, settings: AppSettings,
    vault: AppVault, ip: ClientIp,
) -> Response:
    form = await request.form()
    context = await _context(session, principal, section="password")
    with form_errors("settings/index.html", context, principal=principal):
        change = UserUpdate.model_validate({
            "current_password": str(form.get("current_password") or ""),
            "new_password": str(form.get("new_password") or ""),
        })
        await service.update_profile(session, settings, vault, principal.user, change, ip)
    # A new password ends every session, this browser's too: it signs in again.
    sign_out(request)
    return render(request, "settings/password_changed.html", {})


@router.post("/settings/api-keys", dependencies=[CsrfChecked])
async def set_api_key(
    request: Request, principal: BrowserUser, session: DbSession, settings: AppSettings,
    vault: AppVault, ip: ClientIp,
) -> Response:
    form = await request.form()
    provider = str(form.get("provider") or "")
    delete = form.get("action") == "delete"
    key = None if delete else str(form.get("key") or "").strip()
    context = await _context(session, principal, section=f"key-{provider}")
    with form_errors("settings/index.html", context, principal=principal):
        change = UserUpdate.model_validate({"api_keys": {provider: key}})
        await service.update_profile(session, settings, vault, principal.user, change, ip)
    return redirect(request, "/settings?done=" + ("key-deleted" if delete else "key"))


@router.post("/settings/consents", dependencies=[CsrfChecked])
async def record_consent(
    request: Request, principal: BrowserUser, session: DbSession, ip: ClientIp,
    live_streams: LiveStreams,
) -> Response:
    values = await form_values(request, "kind", "granted")
    granted: Any = {"true": True, "false": False}.get(values["granted"], values["granted"])
    context = await _context(session, principal, section="consents")
    with form_errors("settings/index.html", context, principal=principal):
        body = ConsentIn.model_validate({"kind": values["kind"], "granted": granted,
                                         "version": CONSENT_VERSION})
        await service.record_consent(session, principal.user, body, ip,
                                     request.headers.get("user-agent"))
        call = await service.call_recording_without_consent(session, principal.user, body)
    if call is not None:  # as the API does: a withdrawn recording consent stops the call's
        live_streams.close(call, CONSENT_WITHDRAWN, "voice_recording consent withdrawn")
    return redirect(request, "/settings?done=consent")


@router.get("/settings/export")
async def export(principal: BrowserUser, session: DbSession, ip: ClientIp) -> Response:
    exported = await service.export_data(session, principal.user, ip)
    day = exported.exported_at.date().isoformat()
    return Response(exported.model_dump_json(), media_type="application/json", headers={
        "content-disposition": f'attachment; filename="pitchlab-export-{day}.json"',
        "cache-control": "no-store",
    })


@router.get("/settings/delete")
async def delete_page(request: Request, principal: BrowserUser) -> Response:
    return render(request, "settings/delete.html", {"nav": "settings"}, principal=principal)


@router.post("/settings/delete", dependencies=[CsrfChecked])
async def delete_account(
    request: Request, principal: BrowserUser, session: DbSession, settings: AppSettings,
    live_streams: LiveStreams,
) -> Response:
    form = await request.form()
    with form_errors("settings/delete.html", {"nav": "settings"}, principal=principal):
        body = AccountDeletion.model_validate({"password": str(form.get("password") or "")})
        ended_call = await service.delete_account(session, settings, principal.user,
                                                  body.password)
    if ended_call is not None:
        live_streams.close(ended_call)
    sign_out(request)
    return redirect(request, "/")
