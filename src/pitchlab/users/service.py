"""The signed-in user's own account: profile, password, API keys, consents, export, erasure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.audit import service as audit
from pitchlab.auth import service as auth
from pitchlab.billing import service as billing
from pitchlab.companies import service as companies
from pitchlab.config import Settings
from pitchlab.consents import service as consents
from pitchlab.db import Database, system_context, temporary_context
from pitchlab.feedback import service as feedback_reports
from pitchlab.kit.events import publish
from pitchlab.models import Consent, User
from pitchlab.models.values import AuditAction, ConsentKind, Role
from pitchlab.notifications import service as notifications
from pitchlab.practice import service as practice
from pitchlab.security.vault import PROVIDERS, Vault
from pitchlab.users import repository
from pitchlab.users.errors import InvalidCurrentPassword, InvalidPassword
from pitchlab.users.events import UserDeleted
from pitchlab.users.schemas import (
    ApiKeysIn,
    ApiKeysOut,
    ApiKeyStatus,
    CompanyOut,
    ConsentIn,
    ConsentOut,
    ExportOut,
    UserOut,
    UserUpdate,
)


async def profile(session: AsyncSession, user: User) -> UserOut:
    company = await companies.get(session, user.company_id) if user.company_id else None
    sealed = user.api_keys or {}
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        email_verified=user.email_verified_at is not None,
        company=CompanyOut(id=company.id, name=company.name,
                           trial_expires_at=company.trial_expires_at) if company else None,
        api_keys=ApiKeysOut(**{
            provider: ApiKeyStatus(configured=provider in sealed,
                                   last4=sealed.get(provider, {}).get("last4"))
            for provider in PROVIDERS
        }),
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


async def update_profile(
    session: AsyncSession, settings: Settings, vault: Vault, user: User, change: UserUpdate,
    ip: str | None = None,
) -> None:
    if change.new_password is not None and not await auth.change_password(
        session, settings, user, change.current_password or "", change.new_password, ip
    ):
        raise InvalidCurrentPassword()
    if change.name is not None:
        user.name = change.name.strip()
    if change.api_keys is not None:
        _store_api_keys(vault, user, change.api_keys)
        await audit.record_of_user(session, AuditAction.USER_API_KEY_CHANGED, user, ip=ip,
                                   details=_key_changes(change.api_keys))
    user.updated_at = datetime.now(UTC)  # the trigger also sets it; this keeps the ORM copy fresh
    await repository.save(session, user)


def _store_api_keys(vault: Vault, user: User, keys: ApiKeysIn) -> None:
    sealed = dict(user.api_keys or {})
    for provider in keys.model_fields_set:
        secret = getattr(keys, provider)
        if secret is None:
            sealed.pop(provider, None)
        else:
            sealed[provider] = vault.seal(user.id, provider, secret)
    user.api_keys = sealed or None


def _key_changes(keys: ApiKeysIn) -> dict[str, list[str]]:
    """Which providers' keys were set and which deleted: never the keys themselves."""
    named = sorted(keys.model_fields_set)
    return {"set": [p for p in named if getattr(keys, p) is not None],
            "deleted": [p for p in named if getattr(keys, p) is None]}


async def rotate_api_keys(database: Database, vault: Vault) -> int:
    """``pitchlab keys rotate``: re-seal every stored API key under the key ring's current key.
    Returns how many were re-encrypted. Safe to run again (already-current keys stay)."""
    rotated = 0
    async with database.transaction(system_context("key_rotation")) as session:
        for user in await repository.users_with_api_keys(session):
            sealed = dict(user.api_keys or {})
            for provider, blob in sealed.items():
                if not vault.is_current(blob):
                    sealed[provider] = vault.reseal(user.id, provider, blob)
                    rotated += 1
            user.api_keys = sealed
    return rotated


# --- the company's accounts (admin) ------------------------------------------------------------

async def list_accounts(
    session: AsyncSession, *, company_id: UUID | None, role: Role | None,
    after: tuple[datetime, UUID] | None, limit: int,
) -> list[User]:
    """Accounts in joining order, after the keyset ``after`` (created_at, id); ``company_id``
    None lists every company's (for an operator: row-level security shows a tenant its own)."""
    return await repository.list_accounts(
        session, company_id=company_id, role=role, after=after, limit=limit
    )


async def accounts_by_id(session: AsyncSession, company_id: UUID, user_ids: Sequence[UUID]
                         ) -> dict[UUID, User]:
    """The company's accounts among ``user_ids`` (disabled ones too), by id; another
    company's ids are simply absent."""
    if not user_ids:
        return {}
    return {user.id: user
            for user in await repository.accounts_by_id(session, company_id, user_ids)}


async def apply_admin_change(
    session: AsyncSession, user: User, *, role: Role | None, disabled: bool | None
) -> None:
    """An admin's change to an account: its role, and whether it may sign in. Ending its tokens
    and its live call is the caller's part (auth and practice rules)."""
    if role is not None:
        user.role = role
    if disabled is not None:
        user.disabled_at = (user.disabled_at or datetime.now(UTC)) if disabled else None
    user.updated_at = datetime.now(UTC)
    await repository.save(session, user)


async def member_counts(session: AsyncSession, company_ids: Sequence[UUID]) -> dict[UUID, int]:
    """How many accounts each company has (companies without any are left out)."""
    return await repository.member_counts(session, company_ids)


# --- erasure (GDPR) -----------------------------------------------------------------------------

async def delete_account(
    session: AsyncSession, settings: Settings, user: User, password: str
) -> UUID | None:
    """The user erases their own account (GDPR), confirming it with their password: see
    ``erase_user``."""
    if not await auth.has_password(user, password):
        raise InvalidPassword()
    return await erase_user(session, settings, user)


async def erase_user(
    session: AsyncSession, settings: Settings, user: User, *, erased_by: UUID | None = None
) -> UUID | None:
    """Erase the user (GDPR): the row and, by cascade, sessions, transcripts, feedback, consents
    and tokens; their email in the outbox and in the company's invitations. Usage rows stay,
    unlinked, as the company's billing record; a company left with nobody is erased whole. A
    call still live is ended first, through the practice rules, so its minutes are billed and
    its usage row written before the cascade takes the session; its id is returned so that the
    caller closes its stream. ``UserDeleted`` is published in the same transaction. Also what
    an admin's deletion of a user of their company does (``erased_by``: that admin, whom the
    audit entry names as its actor; by default the user erased themselves)."""
    live_call = await practice.end_live_call_of(session, settings, user.id,
                                                reason="account_deleted")
    user_id, company_id, email = user.id, user.company_id, user.email
    await repository.delete_user(session, user)
    await audit.record_erasure(session, user_id, company_id, erased_by=erased_by)
    await notifications.erase_mail_to(session, email)
    if company_id is not None:
        await auth.forget_invitations_to(session, company_id, email)
        async with temporary_context(session, system_context("account_erasure")):
            if await repository.count_members(session, company_id) == 0:
                await companies.erase(session, company_id)
    await publish(session, UserDeleted(user_id=user_id, company_id=company_id))
    return live_call


# --- consents -----------------------------------------------------------------------------------

async def record_consent(
    session: AsyncSession, user: User, consent: ConsentIn, ip: str, user_agent: str | None
) -> ConsentOut:
    row = await consents.record(session, Consent(
        user_id=user.id, company_id=user.company_id, kind=consent.kind, granted=consent.granted,
        version=consent.version, ip=ip, user_agent=(user_agent or "")[:500] or None,
    ))
    await audit.record_of_user(session, AuditAction.CONSENT_RECORDED, user, ip=ip, details={
        "kind": consent.kind, "granted": consent.granted, "version": consent.version})
    return _consent_out(row)


async def call_recording_without_consent(
    session: AsyncSession, user: User, consent: ConsentIn
) -> UUID | None:
    """The live voice call that must stop recording, when this decision withdrew the
    voice_recording consent."""
    if consent.kind != ConsentKind.VOICE_RECORDING or consent.granted:
        return None
    return await practice.live_voice_call_of(session, user.id)


async def latest_consents(session: AsyncSession, user_id: UUID) -> list[ConsentOut]:
    return _consents_out(await consents.current(session, user_id))


def _consents_out(rows: Iterable[Consent]) -> list[ConsentOut]:
    return [_consent_out(row) for row in rows]


def _consent_out(row: Consent) -> ConsentOut:
    return ConsentOut(id=row.id, kind=row.kind, granted=row.granted, version=row.version,
                      created_at=row.created_at)


# --- export (GDPR) ------------------------------------------------------------------------------

async def export_data(session: AsyncSession, user: User, ip: str | None = None) -> ExportOut:
    """The user's own export: recorded in the audit log as theirs."""
    await audit.record_of_user(session, AuditAction.USER_DATA_EXPORTED, user, ip=ip)
    return await export_of(session, user)


async def export_of(session: AsyncSession, user: User) -> ExportOut:
    """Everything Pitchlab holds about ``user`` (also each member's part of a company's export;
    the caller records who asked)."""
    sessions, transcripts = await practice.calls_of_user(session, user.id)
    feedback = await feedback_reports.reports_of_calls(session, [s.id for s in sessions])
    usage = await billing.usage_of_user(session, user.id)
    return ExportOut(
        exported_at=datetime.now(UTC),
        profile=await profile(session, user),
        sessions=[_row(s, "id", "status", "started_at", "ended_at") for s in sessions],
        transcripts=[_row(t, "session_id", "transcript_text", "created_at") for t in transcripts],
        feedback=[_row(f, "session_id", "metrics", "created_at") for f in feedback],
        usage=[_row(u, "session_id", "minutes_used", "created_at") for u in usage],
        # the whole history, not only the latest answers
        consents=_consents_out(await consents.history(session, user.id)),
    )


def _row(obj: Any, *fields: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}
