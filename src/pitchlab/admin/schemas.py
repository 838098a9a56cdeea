"""Request and response bodies of the admin endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pitchlab.http.validation import NO_NUL_PATTERN, EmailAddress, JsonUUID, RequestBody
from pitchlab.models import Invitation, User
from pitchlab.models.values import Role, SubscriptionStatus
from pitchlab.users.schemas import ExportOut


class AdminUserOut(BaseModel):
    """An account as its company's admins see it: never its password hash or API keys."""

    id: UUID
    email: str
    name: str | None
    role: Role
    company_id: UUID | None
    email_verified: bool
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        return cls(
            id=user.id, email=user.email, name=user.name, role=user.role,
            company_id=user.company_id, email_verified=user.email_verified_at is not None,
            disabled=user.disabled_at is not None, created_at=user.created_at,
        )


class AdminUserList(BaseModel):
    items: list[AdminUserOut]
    next_cursor: str | None


class Request(RequestBody):
    """Request bodies of this domain (see RequestBody)."""


class InvitationIn(Request):
    email: EmailAddress
    # Nobody is invited to operate the platform: super_admin is refused (422).
    role: Literal[Role.ADMIN, Role.USER]
    company_id: JsonUUID | None = Field(
        default=None,
        description="The company to join: an operator (super_admin) must give it; an admin may "
        "only give their own (another company's is 404), and may leave it out.",
        json_schema_extra={"pattern": NO_NUL_PATTERN},
    )


class InvitationOut(BaseModel):
    id: UUID
    email: str
    role: Role
    company_id: UUID
    expires_at: datetime

    @classmethod
    def of(cls, invitation: Invitation) -> InvitationOut:
        return cls(id=invitation.id, email=invitation.email, role=invitation.role,
                   company_id=invitation.company_id, expires_at=invitation.expires_at)


class UserChange(Request):
    # Nobody is made an operator over HTTP: super_admin is refused (422).
    role: Literal[Role.ADMIN, Role.USER] | None = None
    disabled: bool | None = Field(
        default=None,
        description="true: the account can no longer sign in; its tokens and its live call end "
        "at once. false: it can sign in again.",
    )


class AdminCompanyOut(BaseModel):
    id: UUID
    name: str
    trial_expires_at: datetime | None
    subscription_status: SubscriptionStatus | None = Field(
        description="The latest subscription's status as Stripe reported it; null: never "
        "subscribed."
    )
    plan_id: str | None
    total_minutes: int
    used_minutes: int
    user_count: int


class AdminCompanyList(BaseModel):
    items: list[AdminCompanyOut]
    next_cursor: str | None


# Large enough for any plan, small enough to stay an int4 with room to add top-ups.
MAX_MINUTES = 1_000_000


def _one_target(schema: dict) -> None:
    # The runtime rule of _exactly_one_target: one of the two given as a string (null counts
    # as absent).
    schema["oneOf"] = [
        {"required": [name], "properties": {name: {"type": "string"}}}
        for name in ("company_id", "user_id")
    ]


class QuotaIn(Request):
    model_config = ConfigDict(json_schema_extra=_one_target)

    company_id: JsonUUID | None = Field(
        default=None, description="An operator sets a company's total minutes.",
        json_schema_extra={"pattern": NO_NUL_PATTERN},
    )
    user_id: JsonUUID | None = Field(
        default=None, description="An admin caps one user of their own company (never above "
        "the company's total: 422 `cap_above_company_total`).",
        json_schema_extra={"pattern": NO_NUL_PATTERN},
    )
    total_minutes: int = Field(ge=0, le=MAX_MINUTES)

    @model_validator(mode="after")
    def _exactly_one_target(self) -> Self:
        if (self.company_id is None) == (self.user_id is None):
            raise ValueError("give exactly one of company_id or user_id")
        return self


class QuotaOut(BaseModel):
    company_id: UUID
    user_id: UUID | None
    total_minutes: int
    used_minutes: int


class CompanySettingsOut(BaseModel):
    id: UUID
    name: str
    retention_days: int = Field(description="Days a call's transcript and feedback are kept "
                                "(the company's own choice, else the server's default).")
    retention_days_is_default: bool
    leaderboard_enabled: bool
    trial_expires_at: datetime | None


class CompanySettingsChange(Request):
    retention_days: int | None = Field(
        default=None, ge=1, le=3650,
        description="1..3650 days; transcripts and feedback of older calls are deleted hourly.",
    )
    leaderboard_enabled: bool | None = None


class ExportedCompany(BaseModel):
    id: UUID
    name: str
    created_at: datetime
    trial_expires_at: datetime | None
    retention_days: int
    leaderboard_enabled: bool


class CompanyExportOut(BaseModel):
    """A company's export: each member as their own export shows them."""

    exported_at: datetime
    company: ExportedCompany
    users: list[ExportOut]
