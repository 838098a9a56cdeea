"""Practice sessions over HTTP: start checks, text turns, end, reading back, isolation."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer
from tests.practice.helpers import ndjson, quota_and_usage, rep, set_company_quota, start

OPENING = "Marcus speaking. I've got about ten minutes, go ahead."  # discovery-busy-vp's


async def test_the_scenario_library(client, app, owner_url):
    tokens = await rep(client, app, owner_url, consent=False)
    items = (await client.get("/api/scenarios", headers=bearer(tokens))).json()["items"]
    assert len(items) >= 6
    assert {"id", "name", "description", "persona", "difficulty", "call_type"} <= set(items[0])
    assert {item["call_type"] for item in items} <= {
        "cold_call", "discovery", "demo", "objection_handling", "closing"}
    assert (await client.get("/api/scenarios")).status_code == 401


async def test_start_charges_the_first_minute_and_hands_out_a_ticket(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    body = await start(client, tokens, scenario_id="price-objection", mode="voice")
    assert body["status"] == "in_progress" and body["scenario"]["id"] == "price-objection"
    assert body["minutes_remaining"] == 59
    assert body["stream"]["expires_in"] == 60
    assert body["stream"]["url"] == (
        f"ws://testserver/api/sessions/{body['id']}/stream?ticket={body['stream']['ticket']}"
    )
    assert quota_and_usage(owner_url, tokens["email"]) == (60, 1, 0)


async def test_start_refuses_in_the_promised_order(client, app, owner_url):
    tokens = await rep(client, app, owner_url, consent=False)
    email = tokens["email"]
    # voice without consent
    response = await client.post(
        "/api/sessions/start", headers=bearer(tokens), json={"mode": "voice"}
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "consent_required"
    # unknown scenario
    response = await client.post(
        "/api/sessions/start", headers=bearer(tokens), json={"mode": "text", "scenario_id": "nope"}
    )
    assert response.status_code == 422
    # one live call at a time
    await start(client, tokens, mode="text")
    response = await client.post(
        "/api/sessions/start", headers=bearer(tokens), json={"mode": "text"}
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "session_in_progress"
    # quota is checked before the live call
    set_company_quota(owner_url, email, total=1, used=1)
    response = await client.post(
        "/api/sessions/start", headers=bearer(tokens), json={"mode": "text"}
    )
    assert response.status_code == 402 and response.json()["error"]["code"] == "quota_exhausted"
    # and the trial before the quota
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE companies SET trial_expires_at = now() - interval '1 day'")
    response = await client.post(
        "/api/sessions/start", headers=bearer(tokens), json={"mode": "text"}
    )
    assert (
        response.status_code == 402 and response.json()["error"]["code"] == "subscription_inactive"
    )


async def test_an_active_subscription_keeps_practice_open_after_the_trial(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE companies SET trial_expires_at = now() - interval '1 day'")
        conn.execute(
            "INSERT INTO subscriptions (company_id, stripe_subscription_id, plan_id, status)"
            " SELECT id, 'sub_1', 'team', 'past_due' FROM companies"
        )
    await start(client, tokens, mode="text")


async def test_a_text_call_end_to_end(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="text", scenario_id="discovery-busy-vp")
    sid = session["id"]
    turn = await client.post(
        f"/api/sessions/{sid}/stream",
        headers=bearer(tokens),
        json={"text": "What are your biggest challenges with ramp?"},
    )
    assert turn.status_code == 200
    assert turn.headers["content-type"].startswith("application/x-ndjson")
    lines = ndjson(turn)
    # the first turn also brings the prospect's opening line, said as the call began
    assert [m["type"] for m in lines] == [
        "agent_response",
        "user_transcript",
        "session_status",
        "agent_response",
    ]
    assert lines[0]["agent_response_event"]["agent_response"] == OPENING
    assert lines[-1]["agent_response_event"]["agent_response"].startswith("Well, since you ask")

    transcript = (
        await client.get(f"/api/sessions/{sid}/transcript", headers=bearer(tokens))
    ).json()
    assert [t["speaker"] for t in transcript["turns"]] == ["prospect", "rep", "prospect"]
    times = [ms for t in transcript["turns"] for ms in (t["start_ms"], t["end_ms"])]
    assert times[0] == 0 and times == sorted(times)

    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens), json={})
    assert ended.status_code == 200
    body = ended.json()
    assert body["status"] == "completed" and body["minutes_billed"] == 1
    assert body["feedback_status"] == "pending" and body["duration_seconds"] >= 0
    again = await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
    assert again.json() == body
    assert quota_and_usage(owner_url, tokens["email"]) == (60, 1, 1)

    transcript = (
        await client.get(f"/api/sessions/{sid}/transcript", headers=bearer(tokens))
    ).json()
    assert transcript["text"].startswith(f"Prospect: {OPENING}\nRep: What are your biggest")
    late = await client.post(
        f"/api/sessions/{sid}/stream", headers=bearer(tokens), json={"text": "hi"}
    )
    assert late.status_code == 409


async def test_cancelling_bills_what_ran_and_asks_no_feedback(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    body = (
        await client.post(
            f"/api/sessions/{sid}/end", headers=bearer(tokens), json={"reason": "cancelled"}
        )
    ).json()
    assert body["status"] == "cancelled" and body["feedback_status"] is None
    assert body["minutes_billed"] == 1


async def test_listing_is_paged_and_reps_see_only_their_own(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    ids = []
    for _ in range(3):
        sid = (await start(client, tokens, mode="text"))["id"]
        await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))
        ids.append(sid)
    page = (await client.get("/api/sessions?limit=2", headers=bearer(tokens))).json()
    assert [s["id"] for s in page["items"]] == ids[::-1][:2]
    rest = (
        await client.get(
            f"/api/sessions?limit=2&cursor={page['next_cursor']}", headers=bearer(tokens)
        )
    ).json()
    assert [s["id"] for s in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    assert (
        await client.get("/api/sessions?cursor=garbage", headers=bearer(tokens))
    ).status_code == 422


async def test_every_session_endpoint_hides_other_companies_sessions(client, app, owner_url):
    alice = await rep(client, app, owner_url)
    mallory = await rep(client, app, owner_url)
    sid = (await start(client, alice, mode="text"))["id"]
    for method, path, body in [
        ("GET", f"/api/sessions/{sid}", None),
        ("GET", f"/api/sessions/{sid}/transcript", None),
        ("POST", f"/api/sessions/{sid}/end", {}),
        ("POST", f"/api/sessions/{sid}/stream", {"text": "hello"}),
    ]:
        response = await client.request(method, path, headers=bearer(mallory), json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    # the same 404 as for an id that does not exist at all
    missing = await client.get(f"/api/sessions/{uuid.uuid4()}", headers=bearer(mallory))
    assert missing.status_code == 404
    listed = (
        await client.get(f"/api/sessions?user_id={uuid.uuid4()}", headers=bearer(mallory))
    ).json()
    assert listed["items"] == []
    # and alice's call is untouched
    assert (await client.get(f"/api/sessions/{sid}", headers=bearer(alice))).json()[
        "status"
    ] == "in_progress"


async def test_twenty_concurrent_charges_on_ten_minutes_charge_exactly_ten(app, owner_url, app_url):
    """Each charge on its own connection, as from twenty processes at once."""
    from pitchlab.billing import service as billing
    from pitchlab.billing.errors import QuotaExhausted
    from pitchlab.db import Database, tenant_context

    company, users, sessions = uuid.uuid4(), [uuid.uuid4() for _ in range(20)], []
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("INSERT INTO companies (id, name) VALUES (%s, 'Busy')", (company,))
        conn.execute(
            "INSERT INTO minute_quotas (company_id, total_minutes, used_minutes)"
            " VALUES (%s, 10, 0)",
            (company,),
        )
        for user in users:
            conn.execute(
                "INSERT INTO users (id, company_id, email, hashed_password, role)"
                " VALUES (%s, %s, %s, 'x', 'user')",
                (user, company, f"{user}@example.com"),
            )
            sessions.append(
                conn.execute(
                    "INSERT INTO sessions (user_id, company_id, status, scenario_id, mode)"
                    " VALUES (%s, %s, 'in_progress', 'inbound-lead', 'text') RETURNING id",
                    (user, company),
                ).fetchone()[0]
            )
    databases = [Database(app_url, pool_size=1) for _ in sessions]

    async def charge(database, session_id):
        try:
            async with database.transaction(tenant_context(company)) as session:
                return await billing.charge_minute(session, session_id, 1)
        except QuotaExhausted:
            return False

    try:
        pairs = zip(databases, sessions, strict=True)
        results = await asyncio.gather(*(charge(d, s) for d, s in pairs))
    finally:
        await asyncio.gather(*(d.dispose() for d in databases))
    assert results.count(True) == 10
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute(
            "SELECT used_minutes FROM minute_quotas WHERE company_id = %s", (company,)
        ).fetchone() == (10,)
        assert conn.execute(
            "SELECT sum(minutes_billed) FROM sessions WHERE company_id = %s", (company,)
        ).fetchone() == (10,)


async def test_a_user_cap_limits_the_user_within_the_company(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO minute_quotas (company_id, user_id, total_minutes, used_minutes)"
            " SELECT company_id, id, 1, 1 FROM users WHERE email = %s",
            (tokens["email"],),
        )
    response = await client.post(
        "/api/sessions/start", headers=bearer(tokens), json={"mode": "text"}
    )
    assert response.status_code == 402
    assert quota_and_usage(owner_url, tokens["email"])[1] == 0  # the company was not charged


@pytest.mark.parametrize(
    "body", [{"text": ""}, {"text": "x" * 4001}, {"text": "hi", "speaker": "prospect"}]
)
async def test_bad_text_turns_are_422_and_change_nothing(client, app, owner_url, body):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text"))["id"]
    response = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens), json=body)
    assert response.status_code == 422
    transcript = (
        await client.get(f"/api/sessions/{sid}/transcript", headers=bearer(tokens))
    ).json()
    assert transcript["turns"] == []
