"""Billing rules: who may practise, minute metering as a ledger, one usage row per call, the
notices that tell a company's admins its minutes or its trial are running out.

Every function runs in the caller's unit of work: a minute that does not fit raises
``QuotaExhausted`` and leaves the transaction for the caller to roll back, so a refused charge
rolls back with everything else. The statements (and how they keep concurrent charges from
overspending) are in ``repository.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab import cache as app_cache
from pitchlab import metrics as app_metrics
from pitchlab.billing import catalogue, notices, repository
from pitchlab.billing.errors import CapAboveCompanyTotal, QuotaExhausted, SubscriptionInactive
from pitchlab.billing.events import MinutesRunningOut
from pitchlab.companies import service as companies
from pitchlab.config import Settings
from pitchlab.db import Database, system_context
from pitchlab.kit.events import publish
from pitchlab.models import UsageRecord
from pitchlab.models.values import EmailKind, SubscriptionStatus
from pitchlab.notifications import templates
from pitchlab.observability.logs import get_logger

log = logging.getLogger(__name__)
event_log = get_logger(__name__)

# A company whose trial has ended practises while its subscription is in one of these.
PRACTISING_STATUSES = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)


async def ensure_may_practise(session: AsyncSession, company_id: UUID, now: datetime) -> None:
    """A company practises during its trial, then while it subscribes; else
    ``SubscriptionInactive``."""
    if await companies.trial_running(session, company_id, now):
        return
    if not await practising_subscription(session, company_id):
        raise SubscriptionInactive


def subscription_standing_key(company_id: UUID) -> str:
    return f"billing:practising-subscription:{company_id}"


async def practising_subscription(session: AsyncSession, company_id: UUID) -> bool:
    """Whether the company has a subscription it may practise on: read at every session start
    after the trial, so kept in the app cache; ``subscriptions.record_subscription``, the one
    writer of the subscription mirror, invalidates it."""
    key = subscription_standing_key(company_id)
    cached = await app_cache.of(session).get(key)
    if cached is not None:
        return cached == "1"
    found = await repository.has_subscription_in(session, company_id, PRACTISING_STATUSES)
    await app_cache.of(session).set(key, "1" if found else "0")
    return found


async def recording_minutes_per_month(session: AsyncSession, settings: Settings,
                                      company_id: UUID, now: datetime) -> int:
    """The minutes of real calls (recordings) the company may upload this calendar month: its
    plan's while it subscribes, the trial's during its trial, else none."""
    subscription = await repository.latest_subscription(session, company_id, PRACTISING_STATUSES)
    if subscription is not None:
        plan = catalogue.plan_by_id(settings, subscription.plan_id)
        if plan is not None:
            return plan.recording_minutes_per_month
    if await companies.trial_running(session, company_id, now):
        return settings.trial_recording_minutes
    return 0


async def charge_minute(session: AsyncSession, session_id: UUID, minute: int) -> bool:
    """Charge minute number ``minute`` (1-based) of a live session.

    True when this call charged it, False when it was charged already or the session is not
    live any more. Raises QuotaExhausted, leaving the transaction for the caller to roll back.
    """
    payer = await repository.claim_minute(session, session_id, minute)
    if payer is None:
        return False
    minutes = await repository.charge_quotas(session, payer.company_id, payer.user_id, 1)
    if minutes is None:
        raise QuotaExhausted
    await _claim_minutes_notice(session, payer.company_id, minutes)
    event_log.info("billing.minute_charged", session_id=str(session_id), minute=minute,
                company_id=str(payer.company_id), user_id=str(payer.user_id),
                company_minutes_used=minutes.used, company_minutes_total=minutes.total)
    # Counted in the charging transaction: a charge is refused (raises) before this point, and
    # a commit that fails after it is an outage the error metrics show anyway.
    app_metrics.minute_charged()
    return True


# The company's admins hear once a period that this share of its minutes is used.
LOW_MINUTES_PERCENT = 80


def minutes_notice_due(used: int, total: int) -> EmailKind | None:
    """The notice a company quota with these minutes calls for: all used, 80% used, or none.
    Only the highest: a charge that takes a small quota from under 80% to all of it says "used
    up", not both."""
    if used >= total:
        return EmailKind.MINUTES_EXHAUSTED
    if used * 100 >= total * LOW_MINUTES_PERCENT:
        return EmailKind.MINUTES_LOW
    return None


async def _claim_minutes_notice(
    session: AsyncSession, company_id: UUID, minutes: repository.CompanyMinutes
) -> None:
    """Claim the notice the company's minutes call for, once a period, in the charge's
    transaction: a charge rolled back claims nothing, and of concurrent charges (they queue on
    the company's quota row) only the first to get there claims it. Every later charge of the
    period finds it claimed. The emails are written after the commit, by the job that hears
    ``MinutesRunningOut``: it knows the public URL of the links, and the quota row this
    transaction holds is not kept waiting for them."""
    kind = minutes_notice_due(minutes.used, minutes.total)
    if kind is None:
        return
    if await repository.claim_notice(session, company_id, kind.value, _iso(minutes.period_start)):
        await publish(session, MinutesRunningOut(
            company_id=company_id, kind=kind, used_minutes=minutes.used,
            total_minutes=minutes.total, period_start=minutes.period_start,
        ))


def _iso(moment: datetime) -> str:
    """A moment as a notice's occasion: one text per instant, whatever the session's zone."""
    return moment.astimezone(UTC).isoformat()


async def minutes_remaining(session: AsyncSession, company_id: UUID, user_id: UUID) -> int:
    """The minutes the user may still use: the fewest left on the company's quota and the user's
    own cap. None at all for a company without a quota row."""
    least, has_company_quota = await repository.least_remaining(session, company_id, user_id)
    if not has_company_quota or least is None:
        return 0
    return max(0, int(least))


async def record_usage(
    session: AsyncSession, *, session_id: UUID, company_id: UUID, user_id: UUID, minutes: int
) -> None:
    """The session's one usage row; a replay of the end of a call writes nothing more."""
    await repository.insert_usage(
        session, session_id=session_id, company_id=company_id, user_id=user_id, minutes=minutes
    )


async def usage_of_user(session: AsyncSession, user_id: UUID) -> Sequence[UsageRecord]:
    """The user's usage rows (the GDPR export)."""
    return await repository.usage_of_user(session, user_id)


# --- notices to the company's admins -----------------------------------------------------------


async def email_minutes_running_out(
    session: AsyncSession, public_url: str, event: MinutesRunningOut
) -> None:
    """The emails of a minutes notice that a charge claimed (see ``_claim_minutes_notice``): one
    to each active admin, with the numbers as the charge left them."""
    company = await companies.get(session, event.company_id)
    if company is None:
        return  # erased since: nobody left to tell

    def compose(name: str | None) -> templates.ComposedEmail:
        if event.kind == EmailKind.MINUTES_EXHAUSTED:
            return templates.minutes_exhausted(public_url, name, company.name, event.total_minutes)
        return templates.minutes_low(
            public_url, name, company.name, event.used_minutes, event.total_minutes)

    await notices.notify_admins(session, company.id, compose)


# A trial that ended longer ago than this gets no "trial ended" email: the first sweep after a
# deploy must not write to every company whose trial ended months before.
TRIAL_ENDED_NOTICE_DAYS = 7
TRIAL_NOTICE_KINDS = (EmailKind.TRIAL_ENDING, EmailKind.TRIAL_ENDED)


class TrialNotice(NamedTuple):
    company_id: UUID
    kind: EmailKind
    trial_expires_at: datetime

    @property
    def occasion(self) -> str:
        # Once per trial end: a trial extended (its end moved) is warned about again.
        return f"trial:{_iso(self.trial_expires_at)}"


async def send_trial_notices(
    database: Database, public_url: str, warning_days: int, now: datetime
) -> None:
    """Email the admins of each company whose trial ends within ``warning_days`` (trial_ending)
    or has ended (trial_ended), unless it has a subscription it practises on; each notice once
    per trial.

    Each company has a transaction of its own: one that fails is logged and left for the next
    sweep, and the others are sent."""
    async with database.transaction(system_context("trial_notices")) as session:
        due = await _trial_notices_due(session, now, warning_days)
    for notice in due:
        try:
            async with database.transaction(system_context("trial_notices")) as session:
                await _send_trial_notice(session, public_url, notice)
        except Exception:
            log.exception("the %s notice of company %s failed; the next sweep tries again",
                          notice.kind, notice.company_id)


async def _trial_notices_due(
    session: AsyncSession, now: datetime, warning_days: int
) -> list[TrialNotice]:
    """The trial notices not sent yet: for trials ending from the last week to ``warning_days``
    ahead, of companies not practising on a subscription."""
    trials = await repository.trials_ending_between(
        session, now - timedelta(days=TRIAL_ENDED_NOTICE_DAYS), now + timedelta(days=warning_days),
        PRACTISING_STATUSES,
    )
    candidates = [
        TrialNotice(company_id, _trial_notice_kind(ends_at, now), ends_at)
        for company_id, ends_at in trials
    ]
    sent = await repository.notices_sent(
        session, [notice.company_id for notice in candidates], TRIAL_NOTICE_KINDS)
    return [notice for notice in candidates
            if (notice.company_id, notice.kind, notice.occasion) not in sent]


def _trial_notice_kind(trial_expires_at: datetime, now: datetime) -> EmailKind:
    # The trial runs while it expires after now (as ensure_may_practise has it).
    return EmailKind.TRIAL_ENDING if trial_expires_at > now else EmailKind.TRIAL_ENDED


async def _send_trial_notice(session: AsyncSession, public_url: str, notice: TrialNotice) -> None:
    company = await companies.get(session, notice.company_id)
    if company is None:
        return  # erased since the list was read

    def compose(name: str | None) -> templates.ComposedEmail:
        if notice.kind == EmailKind.TRIAL_ENDED:
            return templates.trial_ended(public_url, name, company.name)
        return templates.trial_ending(public_url, name, company.name, notice.trial_expires_at)

    await notices.notify_admins_once(
        session, notice.company_id, notice.kind, notice.occasion, compose)


# --- the companies' standing (operators' overview) ----------------------------------------------

class Standing(NamedTuple):
    subscription_status: SubscriptionStatus | None
    plan_id: str | None
    total_minutes: int
    used_minutes: int


async def standing_of(
    session: AsyncSession, company_ids: Sequence[UUID]
) -> dict[UUID, Standing]:
    """Each company's latest subscription (status, plan) and its minutes, in two queries."""
    subscriptions = await repository.latest_subscriptions(session, company_ids)
    quotas = await repository.company_quotas(session, company_ids)
    standing = {}
    for company_id in company_ids:
        subscription, quota = subscriptions.get(company_id), quotas.get(company_id)
        standing[company_id] = Standing(
            subscription_status=subscription.status if subscription else None,
            plan_id=subscription.plan_id if subscription else None,
            total_minutes=quota.total_minutes if quota else 0,
            used_minutes=quota.used_minutes if quota else 0,
        )
    return standing


# --- quotas set by hand (operators: a company's total; admins: a user's cap) --------------------

class QuotaState(NamedTuple):
    company_id: UUID
    user_id: UUID | None
    total_minutes: int
    used_minutes: int


async def set_company_total(
    session: AsyncSession, company_id: UUID, total_minutes: int
) -> QuotaState:
    """An operator's word on the company's minutes this period (the next paid period's grant
    sets it again). Taken under the quota's lock, as every write of the company's minutes."""
    quota = await repository.lock_company_quota(session, company_id)
    await repository.set_total_minutes(session, quota.id, total_minutes)
    return QuotaState(company_id, None, total_minutes, quota.used_minutes)


async def set_user_cap(
    session: AsyncSession, company_id: UUID, user_id: UUID, total_minutes: int
) -> QuotaState:
    """Cap one user's minutes within the company's; never above the company's total. The
    company's row is locked first, as charging a minute does, so the two cannot deadlock."""
    company = await repository.lock_company_quota(session, company_id)
    if total_minutes > company.total_minutes:
        raise CapAboveCompanyTotal(details={"company_total_minutes": company.total_minutes})
    cap = await repository.set_user_cap(session, company_id, user_id, total_minutes)
    return QuotaState(company_id, user_id, cap.total_minutes, cap.used_minutes)


async def user_caps(
    session: AsyncSession, company_id: UUID, user_ids: Sequence[UUID]
) -> dict[UUID, QuotaState]:
    """The caps these users of the company have (the admin's usage page); none: no entry."""
    caps = await repository.user_caps(session, company_id, user_ids)
    return {user_id: QuotaState(cap.company_id, user_id, cap.total_minutes, cap.used_minutes)
            for user_id, cap in caps.items()}
