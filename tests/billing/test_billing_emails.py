"""The billing emails to a company's admins: its minutes 80% used and used up (once a period each,
claimed by the charged minute that gets there, written by a job once it commits), and its
Pitchlab trial ending and ended (the periodic sweep, once per trial).

Driven through the public surface (practice calls over HTTP), the minute charge as the stream
and the idle sweep make it (as tests/billing/test_metering_rules.py does), and the job functions;
what was sent is read from the outbox. Who must hear: every active admin of the company. Who
must not: its reps, an admin who never confirmed the address, a disabled admin, another
company's admins.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from pitchlab.auth import repository as auth
from pitchlab.billing import service as billing
from pitchlab.billing.errors import QuotaExhausted
from pitchlab.billing.jobs import MINUTES_NOTICE_JOB, TRIAL_NOTICES_JOB, send_trial_notices
from pitchlab.billing.service import charge_minute, minutes_notice_due
from pitchlab.db import Database, system_context, tenant_context
from pitchlab.deps import context_of
from pitchlab.jobs.queue import WorkerResources
from pitchlab.models import User
from pitchlab.models.values import EmailKind, Role
from pitchlab.notifications import templates
from pitchlab.security.passwords import hash_password_async
from tests.auth.helpers import PASSWORD, drain_jobs, logged_in, outbox, unique_email
from tests.factories import confirmed_account
from tests.practice.helpers import start

BILLING_LINK = f"http://testserver{templates.BILLING_PAGE}"


# --- the people -------------------------------------------------------------------------------


async def member(app, company_id: uuid.UUID, role: Role, *, confirmed: bool = True,
                 disabled: bool = False) -> User:
    """Someone of the company who can sign in (unless unconfirmed or disabled)."""
    settings, now = context_of(app).settings, datetime.now(UTC)
    hashed = await hash_password_async(PASSWORD, settings.bcrypt_rounds)
    async with context_of(app).database.transaction(system_context("test_factory")) as session:
        return await auth.add_user(session, User(
            email=unique_email(role.value), hashed_password=hashed, name=f"{role.value} person",
            role=role, company_id=company_id, email_verified_at=now if confirmed else None,
            disabled_at=now if disabled else None,
        ))


@dataclass
class Team:
    """Acme's people, and who of them (or of Globex) the billing emails reach."""

    company_id: uuid.UUID
    owner: User  # the admin who signed the company up
    admin: User  # a second active admin
    rep: User
    unreached: list[str] = field(default_factory=list)  # addresses that must hear nothing

    @property
    def admins(self) -> list[str]:
        return [self.owner.email, self.admin.email]


@pytest.fixture
async def team(app) -> Team:
    owner = await confirmed_account(app, email=unique_email("owner"), password=PASSWORD,
                                    name="Olive", company="Acme")
    acme = owner.company_id
    assert acme is not None
    team = Team(acme, owner, admin=await member(app, acme, Role.ADMIN),
                rep=await member(app, acme, Role.USER))
    globex = await confirmed_account(app, email=unique_email("globex"), password=PASSWORD,
                                     company="Globex")
    team.unreached = [
        team.rep.email,
        (await member(app, acme, Role.ADMIN, confirmed=False)).email,
        (await member(app, acme, Role.ADMIN, disabled=True)).email,
        globex.email,
    ]
    return team


def kinds(owner_url, addresses: list[str]) -> list[list[str]]:
    """The kinds of email each address got, oldest first."""
    return [[mail["kind"] for mail in outbox(owner_url, address)] for address in addresses]


def nothing(addresses: list[str]) -> list[list[str]]:
    return [[] for _ in addresses]


# --- minutes: the quota and the calls charged on it --------------------------------------------


async def set_quota(owner_conn, team: Team, total: int, used: int) -> None:
    await owner_conn.execute(
        "UPDATE minute_quotas SET total_minutes = %s, used_minutes = %s"
        " WHERE company_id = %s AND user_id IS NULL", (total, used, team.company_id))


async def new_period(owner_conn, team: Team) -> None:
    """What a paid invoice of the next period does to the company quota."""
    await owner_conn.execute(
        "UPDATE minute_quotas SET used_minutes = 0, period_start = now()"
        " WHERE company_id = %s", (team.company_id,))


async def live_call(owner_conn, team: Team, user: uuid.UUID) -> uuid.UUID:
    row = await (await owner_conn.execute(
        "INSERT INTO sessions (user_id, company_id, status, scenario_id, mode)"
        " VALUES (%s, %s, 'in_progress', 'inbound-lead', 'text') RETURNING id",
        (user, team.company_id))).fetchone()
    return row[0]


async def charge(database: Database, team: Team, call: uuid.UUID, minute: int) -> bool:
    """Charge ``minute`` of ``call`` in a transaction of its own, as the stream does."""
    async with database.transaction(tenant_context(team.company_id)) as session:
        return await charge_minute(session, call, minute)


async def notices(owner_conn, team: Team) -> list[tuple[str, str]]:
    rows = await (await owner_conn.execute(
        "SELECT kind, occasion FROM billing_notices WHERE company_id = %s ORDER BY created_at",
        (team.company_id,))).fetchall()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize(("used", "total", "due"), [
    (0, 10, None),
    (7, 10, None),
    (8, 10, EmailKind.MINUTES_LOW),  # 80% exactly
    (79, 100, None),
    (80, 100, EmailKind.MINUTES_LOW),
    (99, 100, EmailKind.MINUTES_LOW),
    (100, 100, EmailKind.MINUTES_EXHAUSTED),
    (199, 250, None),  # 79.6%
    (3, 5, None),
    (4, 5, EmailKind.MINUTES_LOW),
    (1, 1, EmailKind.MINUTES_EXHAUSTED),  # from nothing used to all: "used up" only
    (6, 5, EmailKind.MINUTES_EXHAUSTED),  # a total lowered below what was used
])
def test_the_notice_a_company_quota_calls_for(used, total, due):
    assert minutes_notice_due(used, total) == due


async def test_practice_calls_tell_the_admins_at_80_percent_and_at_the_end(
        client, app, owner_url, owner_conn, team):
    """Each call's start charges its first minute: 8 of 10 used, then 9, then all 10."""
    await set_quota(owner_conn, team, total=10, used=7)

    await start(client, await logged_in(client, team.owner.email), mode="text")
    await drain_jobs(app)
    assert kinds(owner_url, team.admins) == [["minutes_low"], ["minutes_low"]]
    assert kinds(owner_url, team.unreached) == nothing(team.unreached)
    mail = outbox(owner_url, team.admin.email)[0]
    assert "Acme has used 8 of its 10 practice minutes for this period" in mail["text"]
    assert mail["links"] == [BILLING_LINK]
    assert mail["subject"] == "80% of your Pitchlab minutes are used"

    await start(client, await logged_in(client, team.rep.email), mode="text")
    await drain_jobs(app)
    assert kinds(owner_url, team.admins) == [["minutes_low"], ["minutes_low"]]

    await start(client, await logged_in(client, team.admin.email), mode="text")
    await drain_jobs(app)
    assert kinds(owner_url, team.admins) == [["minutes_low", "minutes_exhausted"]] * 2
    assert kinds(owner_url, team.unreached) == nothing(team.unreached)
    mail = outbox(owner_url, team.owner.email)[1]
    assert "Acme has used all 10 practice minutes of this period" in mail["text"]
    assert mail["text"].startswith("Hi Olive,")
    assert mail["links"] == [BILLING_LINK]


async def test_each_notice_goes_once_a_period_and_again_in_the_next(
        app, owner_url, owner_conn, team):
    database = context_of(app).database
    await set_quota(owner_conn, team, total=5, used=2)
    for _period in range(2):
        call = await live_call(owner_conn, team, team.rep.id)
        for minute in (1, 2):  # 3 and 4 of 5 used: 80% at the second
            assert await charge(database, team, call, minute)
        await drain_jobs(app)
        assert kinds(owner_url, team.admins)[0][-1:] == ["minutes_low"]
        assert await charge(database, team, call, 3)  # all 5 used
        with pytest.raises(QuotaExhausted):
            await charge(database, team, call, 4)
        await drain_jobs(app)
        await owner_conn.execute("UPDATE sessions SET status = 'completed' WHERE id = %s", (call,))
        await new_period(owner_conn, team)
        await set_quota(owner_conn, team, total=5, used=2)
    assert kinds(owner_url, team.admins) == [["minutes_low", "minutes_exhausted"] * 2] * 2
    assert kinds(owner_url, team.unreached) == nothing(team.unreached)
    occasions = [occasion for _, occasion in await notices(owner_conn, team)]
    assert occasions[0] == occasions[1] != occasions[2] == occasions[3]


async def test_the_occasion_is_the_period_start(app, owner_conn, team):
    database = context_of(app).database
    await set_quota(owner_conn, team, total=5, used=4)
    start_of_period = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    await owner_conn.execute(
        "UPDATE minute_quotas SET period_start = %s WHERE company_id = %s",
        (start_of_period, team.company_id))
    assert await charge(database, team, await live_call(owner_conn, team, team.rep.id), 1)
    assert await notices(owner_conn, team) == [
        ("minutes_exhausted", "2026-11-01T09:30:00+00:00")]


async def test_a_rolled_back_charge_sends_nothing_and_claims_nothing(
        app, owner_url, owner_conn, team):
    database = context_of(app).database
    await set_quota(owner_conn, team, total=10, used=7)
    call = await live_call(owner_conn, team, team.rep.id)
    with pytest.raises(RuntimeError):
        async with database.transaction(tenant_context(team.company_id)) as session:
            assert await charge_minute(session, call, 1)
            raise RuntimeError("the caller's transaction fails after the charge")
    await drain_jobs(app)
    assert await notices(owner_conn, team) == []
    assert kinds(owner_url, team.admins) == [[], []]
    # the same minute charged for good sends it
    assert await charge(database, team, call, 1)
    await drain_jobs(app)
    assert kinds(owner_url, team.admins) == [["minutes_low"], ["minutes_low"]]


async def test_a_company_erased_before_its_emails_are_written_gets_none(
        app, owner_conn, team):
    """The last admin deleting the account erases the company; the job has nobody to tell and
    is done, not failing again and again."""
    await set_quota(owner_conn, team, total=10, used=7)
    assert await charge(context_of(app).database, team,
                        await live_call(owner_conn, team, team.rep.id), 1)
    await owner_conn.execute("DELETE FROM companies WHERE id = %s", (team.company_id,))
    await drain_jobs(app)
    jobs = await (await owner_conn.execute(
        "SELECT status FROM procrastinate_jobs WHERE task_name = %s"
        " AND args->>'company_id' = %s", (MINUTES_NOTICE_JOB, str(team.company_id)))).fetchall()
    assert jobs == [("succeeded",)]
    assert await (await owner_conn.execute("SELECT count(*) FROM email_outbox")).fetchone() == (0,)


async def test_only_the_company_quota_counts_not_a_users_own_cap(
        app, owner_url, owner_conn, team):
    database = context_of(app).database
    await set_quota(owner_conn, team, total=100, used=0)
    await owner_conn.execute(
        "INSERT INTO minute_quotas (company_id, user_id, total_minutes, used_minutes)"
        " VALUES (%s, %s, 5, 3)", (team.company_id, team.rep.id))
    call = await live_call(owner_conn, team, team.rep.id)
    assert await charge(database, team, call, 1)  # the rep's cap at 4 of 5, the company at 1%
    assert await charge(database, team, call, 2)  # the rep's cap used up
    await drain_jobs(app)
    assert await notices(owner_conn, team) == []
    assert kinds(owner_url, team.admins) == [[], []]


async def test_concurrent_charges_past_80_percent_send_one_email_to_each_admin(
        app, app_url, owner_url, owner_conn, team):
    """Ten calls charge at once, each on its own connection, from 79 of 100 minutes used: every
    charge ends at 80% or more, one claims the notice."""
    await set_quota(owner_conn, team, total=100, used=79)
    reps = [await member(app, team.company_id, Role.USER) for _ in range(10)]
    calls = [await live_call(owner_conn, team, rep.id) for rep in reps]
    databases = [Database(app_url, pool_size=1) for _ in calls]
    try:
        charged = await asyncio.gather(
            *(charge(database, team, call, 1) for database, call in zip(databases, calls,
                                                                          strict=True)))
    finally:
        await asyncio.gather(*(database.dispose() for database in databases))
    assert charged == [True] * 10
    await drain_jobs(app)
    assert kinds(owner_url, team.admins) == [["minutes_low"], ["minutes_low"]]
    assert [kind for kind, _ in await notices(owner_conn, team)] == ["minutes_low"]
    assert "has used 80 of its 100 practice minutes" in outbox(owner_url, team.owner.email)[0][
        "text"]


# --- the trial: the periodic sweep ------------------------------------------------------------


async def run_sweep(app) -> None:
    """The periodic job's function, run as the worker runs it (with the worker's resources)."""
    context = context_of(app)
    job_context = SimpleNamespace(additional_context={"resources": WorkerResources(
        context.settings, context.database, context.providers)})
    await send_trial_notices(job_context, timestamp=int(time.time()))


async def trial_ends(owner_conn, team: Team, interval: str) -> None:
    """The company's trial ends ``interval`` from now (a negative one: it has ended)."""
    await owner_conn.execute(
        "UPDATE companies SET trial_expires_at = now() + %s::interval WHERE id = %s",
        (interval, team.company_id))


async def subscribed(owner_conn, team: Team, status: str) -> None:
    await owner_conn.execute(
        "INSERT INTO subscriptions (company_id, stripe_subscription_id, plan_id, status)"
        " VALUES (%s, %s, 'starter', %s)", (team.company_id, f"sub_{uuid.uuid4().hex}", status))


async def test_the_trial_sweep_runs_every_quarter_of_an_hour(app):
    periodic = context_of(app).jobs.periodic_registry.periodic_tasks.values()
    assert {(task.task.name, task.cron) for task in periodic} >= {
        (TRIAL_NOTICES_JOB, "*/15 * * * *")}


async def test_a_trial_ending_in_two_days_is_told_once(app, owner_url, owner_conn, team):
    await trial_ends(owner_conn, team, "2 days")
    await run_sweep(app)
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [["trial_ending"], ["trial_ending"]]
    assert kinds(owner_url, team.unreached) == nothing(team.unreached)
    ends_at = (await (await owner_conn.execute(
        "SELECT trial_expires_at FROM companies WHERE id = %s", (team.company_id,))).fetchone())[0]
    mail = outbox(owner_url, team.owner.email)[0]
    day = ends_at.astimezone(UTC).strftime("%d %B %Y")
    assert mail["subject"] == f"Your Pitchlab trial ends on {day}"
    assert f"The Pitchlab trial of Acme ends on {day} (UTC)" in mail["text"]
    assert mail["links"] == [BILLING_LINK]
    assert await notices(owner_conn, team) == [
        ("trial_ending", f"trial:{ends_at.astimezone(UTC).isoformat()}")]


async def test_a_trial_ended_yesterday_is_told_it_ended_once(app, owner_url, owner_conn, team):
    await trial_ends(owner_conn, team, "-1 day")
    await run_sweep(app)
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [["trial_ended"], ["trial_ended"]]
    assert kinds(owner_url, team.unreached) == nothing(team.unreached)
    assert "The Pitchlab trial of Acme has ended" in outbox(owner_url, team.admin.email)[0]["text"]


async def test_warned_then_ended_is_two_emails(app, owner_url, owner_conn, team):
    await trial_ends(owner_conn, team, "1 hour")
    await run_sweep(app)
    await trial_ends(owner_conn, team, "-1 hour")  # (the clock moved on two hours)
    await run_sweep(app)
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [["trial_ending", "trial_ended"]] * 2


async def test_an_extended_trial_is_warned_again_when_its_new_end_comes(
        app, owner_url, owner_conn, team):
    await trial_ends(owner_conn, team, "2 days")
    await run_sweep(app)
    await trial_ends(owner_conn, team, "2 days 12 hours")  # an operator moved the end
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [["trial_ending", "trial_ending"]] * 2


@pytest.mark.parametrize("status", ["trialing", "active", "past_due"])
@pytest.mark.parametrize("ends", ["2 days", "-1 day"])
async def test_a_company_practising_on_a_subscription_hears_nothing(
        app, owner_url, owner_conn, team, status, ends):
    await trial_ends(owner_conn, team, ends)
    await subscribed(owner_conn, team, status)
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [[], []]
    assert await notices(owner_conn, team) == []


async def test_a_subscription_that_ended_does_not_hush_the_trial(
        app, owner_url, owner_conn, team):
    await trial_ends(owner_conn, team, "-1 day")
    await subscribed(owner_conn, team, "canceled")
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [["trial_ended"], ["trial_ended"]]


@pytest.mark.parametrize("ends", [
    "-30 days",  # long over: a first deploy writes to no old company
    "-7 days -1 minute",  # just over a week ago
    "3 days 1 minute",  # further off than the three days' warning
    "14 days",  # a new company's trial
])
async def test_trials_outside_the_window_hear_nothing(app, owner_url, owner_conn, team, ends):
    await trial_ends(owner_conn, team, ends)
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [[], []]


@pytest.mark.parametrize(("ends", "kind"), [
    ("3 days -1 minute", "trial_ending"),  # within the three days' warning
    ("-7 days 1 minute", "trial_ended"),  # ended within the week
])
async def test_trials_just_inside_the_window_are_told(
        app, owner_url, owner_conn, team, ends, kind):
    await trial_ends(owner_conn, team, ends)
    await run_sweep(app)
    assert kinds(owner_url, team.admins) == [[kind], [kind]]


async def test_the_window_and_the_trials_end_to_the_microsecond(app, owner_url, owner_conn, team):
    """The sweep as of a given moment: a trial whose end is that moment has ended (practice is
    closed then: ensure_may_practise); the window is closed at its far end, open at its past
    one."""
    ends_at = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    await owner_conn.execute("UPDATE companies SET trial_expires_at = %s WHERE id = %s",
                             (ends_at, team.company_id))
    context = context_of(app)

    async def sweep_as_of(now: datetime) -> None:
        await billing.send_trial_notices(context.database, "http://testserver", 3, now)

    await sweep_as_of(ends_at + timedelta(days=7))  # ended a week ago exactly: out of the window
    await sweep_as_of(ends_at - timedelta(days=3, microseconds=1))  # not within three days yet
    assert kinds(owner_url, team.admins) == [[], []]
    await sweep_as_of(ends_at - timedelta(days=3))  # three days ahead exactly
    assert kinds(owner_url, team.admins) == [["trial_ending"]] * 2
    await sweep_as_of(ends_at)  # the moment it ends, it has ended
    assert kinds(owner_url, team.admins) == [["trial_ending", "trial_ended"]] * 2


async def test_one_company_failing_leaves_the_others_told_and_itself_for_the_next_sweep(
        app, owner_url, owner_conn, team, monkeypatch, caplog):
    other = await confirmed_account(app, email=unique_email("initech"), password=PASSWORD,
                                    company="Initech")
    await owner_conn.execute(
        "UPDATE companies SET trial_expires_at = now() + interval '1 day' WHERE id IN (%s, %s)",
        (team.company_id, other.company_id))
    real_trial_ending = templates.trial_ending

    def failing_for_acme(public_url, name, company, ends_at):
        if company == "Acme":
            raise RuntimeError("Acme's email cannot be written")
        return real_trial_ending(public_url, name, company, ends_at)

    monkeypatch.setattr(templates, "trial_ending", failing_for_acme)
    with caplog.at_level(logging.ERROR, logger="pitchlab.billing.service"):
        await run_sweep(app)
    assert kinds(owner_url, [other.email, *team.admins]) == [["trial_ending"], [], []]
    [failure] = caplog.records  # said, with its cause, for the operator
    assert str(team.company_id) in failure.getMessage() and failure.exc_info is not None
    assert await notices(owner_conn, team) == []  # its claim rolled back with its failure

    monkeypatch.setattr(templates, "trial_ending", real_trial_ending)
    await run_sweep(app)
    assert kinds(owner_url, [other.email, *team.admins]) == [["trial_ending"]] * 3
