"""``UserDeleted``: published in the erasing transaction, so a subscriber's job exists exactly when
the erasure committed (nothing subscribes yet but this test's recorder; audit will)."""

from __future__ import annotations

from uuid import UUID

import procrastinate
import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from pitchlab.db import tenant_context
from pitchlab.deps import context_of
from pitchlab.kit.events import subscriber
from pitchlab.models import User
from pitchlab.users import service
from pitchlab.users.events import UserDeleted
from tests.auth.helpers import PASSWORD, bearer, drain_jobs, signed_up

RECORDER = "tests.users.record_user_deleted"
received: list[UserDeleted] = []


@subscriber(UserDeleted, name=RECORDER)
async def _record(context: procrastinate.JobContext, event: UserDeleted) -> None:
    received.append(event)


def _recorded_jobs(owner_url, user_id: str) -> list[dict]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = %s AND args->>'user_id' = %s",
            (RECORDER, user_id),
        ).fetchall()
    return [row[0] for row in rows]


def _company_of(owner_url, user_id: str) -> str:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        (company_id,) = conn.execute(
            "SELECT company_id FROM users WHERE id = %s", (user_id,)
        ).fetchone()
    return str(company_id)


async def test_erasing_an_account_publishes_user_deleted(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    me = (await client.get("/api/users/me", headers=bearer(tokens))).json()
    company_id = _company_of(owner_url, me["id"])

    gone = await client.request("DELETE", "/api/users/me", headers=bearer(tokens),
                                json={"password": PASSWORD})
    assert gone.status_code == 204

    assert _recorded_jobs(owner_url, me["id"]) == [
        {"user_id": me["id"], "company_id": company_id}
    ]
    received.clear()
    await drain_jobs(app)
    # Other tests' erasures reach the recorder too (it subscribes for the whole run): only this
    # user's event is this test's.
    mine = [event for event in received if event.user_id == UUID(me["id"])]
    assert mine == [UserDeleted(user_id=UUID(me["id"]), company_id=UUID(company_id))]


async def test_a_refused_erasure_publishes_nothing(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    me = (await client.get("/api/users/me", headers=bearer(tokens))).json()

    wrong = await client.request("DELETE", "/api/users/me", headers=bearer(tokens),
                                 json={"password": "not the password"})
    assert wrong.status_code == 403
    assert _recorded_jobs(owner_url, me["id"]) == []


async def test_an_erasure_rolled_back_leaves_no_event(client, app, owner_url):
    tokens = await signed_up(client, app, owner_url)
    me = (await client.get("/api/users/me", headers=bearer(tokens))).json()
    company_id = UUID(_company_of(owner_url, me["id"]))
    context = context_of(app)

    with pytest.raises(RuntimeError, match="after the erasure"):
        async with context.database.transaction(tenant_context(company_id)) as session:
            user = await session.get(User, UUID(me["id"]))
            assert user is not None
            await service.delete_account(session, context.settings, user, PASSWORD)
            raise RuntimeError("a failure after the erasure, before the commit")

    assert _recorded_jobs(owner_url, me["id"]) == []
    # and the account is still there, whole
    assert (await client.get("/api/users/me", headers=bearer(tokens))).status_code == 200
