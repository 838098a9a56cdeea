"""The signed-in user's own account: profile, password, API keys, consents, export, erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab.auth import service as auth_service
from pitchlab.config import Settings
from pitchlab.db import system_context, temporary_context
from pitchlab.errors import AppError
from pitchlab.models import (
    Company,
    Consent,
    Feedback,
    OutboxEmail,
    PracticeSession,
    Transcript,
    UsageRecord,
    User,
)
from pitchlab.practice import service as practice
from pitchlab.security import passwords
from pitchlab.security.vault import PROVIDERS, Vault
from pitchlab.users.schemas import (
    ApiKeysOut,
    ApiKeyStatus,
    CompanyOut,
    ConsentIn,
    ConsentOut,
    UserOut,
    UserUpdate,
)


async def profile(session: AsyncSession, user: User) -> UserOut:
    company = await session.get(Company, user.company_id) if user.company_id else None
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
    session: AsyncSession, settings: Settings, vault: Vault, user: User, change: UserUpdate
) -> None:
    if change.new_password is not None:
        await _change_password(session, settings, user, change.current_password or "",
                               change.new_password)
    if change.name is not None:
        user.name = change.name.strip()
    if change.api_keys is not None:
        _store_api_keys(vault, user, change.api_keys)
    user.updated_at = datetime.now(UTC)  # the trigger also sets it; this keeps the ORM copy fresh
    await session.flush()


async def _change_password(
    session: AsyncSession, settings: Settings, user: User, current: str, new: str
) -> None:
    if not await passwords.verify_password_async(current, user.hashed_password):
        raise AppError("invalid_current_password", "The current password is wrong.", 403)
    user.hashed_password = await passwords.hash_password_async(new, settings.bcrypt_rounds)
    # Every signed-in device, this one too, has to sign in again with the new password.
    async with temporary_context(session, system_context("password_change")):
        await auth_service.end_all_sessions(session, user)


def _store_api_keys(vault: Vault, user: User, keys) -> None:
    sealed = dict(user.api_keys or {})
    for provider in keys.model_fields_set:
        secret = getattr(keys, provider)
        if secret is None:
            sealed.pop(provider, None)
        else:
            sealed[provider] = vault.seal(user.id, provider, secret)
    user.api_keys = sealed or None


async def delete_account(
    session: AsyncSession, settings: Settings, user: User, password: str
) -> UUID | None:
    """Erase the user (GDPR): the row and, by cascade, sessions, transcripts, feedback, consents
    and tokens. Usage rows stay, unlinked, as the company's billing record; a company left with
    nobody is erased whole. A call still live is ended first, through the practice rules, so its
    minutes are billed and its usage row written before the cascade takes the session; its id
    is returned so that the caller closes its stream."""
    if not await passwords.verify_password_async(password, user.hashed_password):
        raise AppError("invalid_password", "The password is wrong.", 403)
    live_call = await practice.end_live_call_of(session, settings, user.id,
                                                reason="account_deleted")
    company_id, email = user.company_id, user.email
    await session.delete(user)
    await session.flush()
    async with temporary_context(session, system_context("account_erasure")):
        await session.execute(
            delete(OutboxEmail).where(func.lower(OutboxEmail.to_address) == email.lower())
        )
        if company_id is not None:
            remaining = await session.scalar(
                select(func.count()).select_from(User).where(User.company_id == company_id)
            )
            if remaining == 0:
                await session.execute(delete(Company).where(Company.id == company_id))
    return live_call


async def record_consent(
    session: AsyncSession, user: User, consent: ConsentIn, ip: str, user_agent: str | None
) -> ConsentOut:
    row = Consent(
        user_id=user.id, company_id=user.company_id, kind=consent.kind, granted=consent.granted,
        version=consent.version, ip=ip, user_agent=(user_agent or "")[:500] or None,
    )
    session.add(row)
    await session.flush()
    return _consent_out(row)


async def call_recording_without_consent(
    session: AsyncSession, user: User, consent: ConsentIn
) -> UUID | None:
    """The live voice call that must stop recording, when this decision withdrew the
    voice_recording consent."""
    if consent.kind != "voice_recording" or consent.granted:
        return None
    return await practice.live_voice_call_of(session, user.id)


async def latest_consents(session: AsyncSession, user_id: UUID) -> list[ConsentOut]:
    result = await session.execute(
        select(Consent)
        .where(Consent.user_id == user_id)
        .ext(distinct_on(Consent.kind))
        .order_by(Consent.kind, Consent.created_at.desc(), Consent.id.desc())
    )
    return [_consent_out(row) for row in result.scalars()]


def _consent_out(row: Consent) -> ConsentOut:
    return ConsentOut(id=row.id, kind=row.kind, granted=row.granted, version=row.version,
                      created_at=row.created_at)


async def export_data(session: AsyncSession, user: User) -> dict[str, Any]:
    sessions = list((await session.execute(
        select(PracticeSession).where(PracticeSession.user_id == user.id)
        .order_by(PracticeSession.started_at)
    )).scalars())
    session_ids = [s.id for s in sessions]
    transcripts = list((await session.execute(
        select(Transcript).where(Transcript.session_id.in_(session_ids))
    )).scalars())
    feedback = list((await session.execute(
        select(Feedback).where(Feedback.session_id.in_(session_ids))
    )).scalars())
    usage = list((await session.execute(
        select(UsageRecord).where(UsageRecord.user_id == user.id)
    )).scalars())
    consents = list((await session.execute(
        select(Consent).where(Consent.user_id == user.id).order_by(Consent.created_at)
    )).scalars())
    return {
        "exported_at": datetime.now(UTC),
        "profile": await profile(session, user),
        "sessions": [_row(s, "id", "status", "started_at", "ended_at") for s in sessions],
        "transcripts": [_row(t, "session_id", "transcript_text", "created_at") for t in transcripts],
        "feedback": [_row(f, "session_id", "metrics", "created_at") for f in feedback],
        "usage": [_row(u, "session_id", "minutes_used", "created_at") for u in usage],
        # the whole history, not only the latest answers
        "consents": [_consent_out(c) for c in consents],
    }


def _row(obj: Any, *fields: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}
