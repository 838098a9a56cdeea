"""Accounts written directly, as sign-up leaves them, for the tests that are not about signing up.

Signing up over HTTP costs a run of the job queue per account (the confirmation email) plus three
requests; most tests only need somebody signed in. These rows are written by the repository
functions registration itself uses (a company on its trial with its minute quota, an admin with a
confirmed address), so they change when registration's do. Sign-up itself stays tested over HTTP
(tests/auth/test_flow.py, ``signed_up_over_http`` in tests/auth/helpers.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pitchlab.auth import repository as auth
from pitchlab.companies import service as companies
from pitchlab.db import system_context
from pitchlab.deps import context_of
from pitchlab.models import User
from pitchlab.models.values import Role
from pitchlab.security.passwords import hash_password_async


async def confirmed_account(
    app, *, email: str, password: str, name: str = "Riley Rep", company: str = "Acme"
) -> User:
    """The admin, email confirmed, of a new company on its trial: what registering without an
    invitation and following the emailed link make."""
    settings = context_of(app).settings
    now = datetime.now(UTC)
    hashed = await hash_password_async(password, settings.bcrypt_rounds)
    async with context_of(app).database.transaction(system_context("test_factory")) as session:
        created = await companies.create_with_trial(session, settings, company)
        return await auth.add_user(session, User(
            email=email.lower(), hashed_password=hashed, name=name, role=Role.ADMIN,
            company_id=created.id, email_verified_at=now,
        ))
