"""Platform operators (super admins): created from the command line, never over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email

from pitchlab.config import Settings
from pitchlab.db import Database, system_context
from pitchlab.errors import AppError
from pitchlab.models import User
from pitchlab.security.passwords import WeakPasswordError, hash_password_async, validate_password
from pitchlab.users import repository


def normalize_email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AppError("invalid_email", str(exc), 422) from exc


async def create_super_admin(database: Database, settings: Settings, email: str, password: str):
    email = normalize_email(email)
    try:
        validate_password(password)
    except WeakPasswordError as exc:
        raise AppError("weak_password", str(exc), 422) from exc
    hashed = await hash_password_async(password, settings.bcrypt_rounds)
    # The operator belongs to no company, so only a system context may write the row.
    async with database.transaction(system_context("create_super_admin")) as session:
        if await repository.find_by_email(session, email) is not None:
            raise AppError("email_taken", "A user with this email already exists.", 409)
        user = await repository.add(
            session,
            User(email=email, hashed_password=hashed, role="super_admin", name=None,
                 email_verified_at=datetime.now(UTC)),
        )
        return user.id
