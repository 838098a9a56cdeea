"""The assignment endpoints through HTTP with the real PostgreSQL: assigning to reps and to all,
re-assigning (one row per rep and scenario), progress from the rep's calls (only calls in the
scenario, after the assignment, count; a target not reached leaves it open), the rules (422,
nothing written), roles, withdrawal, pagination and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import operator, user_row
from tests.auth.helpers import bearer, invited_member, signed_up
from tests.practice.helpers import finished_text_call

PATH = "/api/assignments"
SCENARIO = "cold-call-gatekeeper"
OTHER_SCENARIO = "discovery-busy-vp"


def later(days: int = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def stored(owner_url) -> list[tuple]:
    """Every assignment row and the assignment audit entries, as the superuser sees them."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute(
            "SELECT company_id::text, scenario_id, user_id::text, due_at, target_score"
            " FROM assignments ORDER BY created_at, user_id").fetchall()
        audits = conn.execute(
            "SELECT company_id::text, details FROM audit_logs"
            " WHERE action = 'assignment.created' ORDER BY created_at").fetchall()
    return rows + audits


def set_score(owner_url, session_id: str, score: float) -> None:
    """The call's overall score, as the feedback worker stores it, set to a known value."""
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        updated = conn.execute("UPDATE feedback SET score = %s WHERE session_id = %s",
                               (score, session_id)).rowcount
    assert updated == 1


async def scored_call(client, app, owner_url, rep, scenario: str, score: float) -> str:
    sid = await finished_text_call(client, app, rep, "What keeps your team busiest right now?",
                                   scenario_id=scenario)
    set_score(owner_url, sid, score)
    return sid


@pytest.fixture
async def team(client, app, owner_url) -> dict:
    admin = await signed_up(client, app, owner_url)
    reps = [await invited_member(client, owner_url, admin["email"]) for _ in range(3)]
    return {"admin": admin, "reps": reps,
            "ids": [user_row(owner_url, r["email"])["id"] for r in reps],
            "company_id": user_row(owner_url, admin["email"])["company_id"]}


async def assign(client, tokens, **body):
    return await client.post(PATH, headers=bearer(tokens), json=body)


async def test_an_admin_assigns_to_two_reps_then_to_all(client, owner_url, team):
    made = await assign(client, team["admin"], scenario_id=SCENARIO, user_ids=team["ids"][:2],
                        due_at=later(), target_score=3.5)
    assert made.status_code == 201, made.text
    items = made.json()["items"]
    assert sorted(i["user_id"] for i in items) == sorted(team["ids"][:2])
    first = items[0]
    assert first["scenario"] == {"id": SCENARIO, "name": "Cold call past a gatekeeper",
                                 "call_type": "cold_call"}
    assert first["user_name"] == "Jo Member" and first["target_score"] == 3.5
    assert first["best_score"] is None and first["completed_at"] is None
    assert first["overdue"] is False

    everyone = await assign(client, team["admin"], scenario_id=SCENARIO, all=True)
    assert everyone.status_code == 201, everyone.text
    # every rep (not the admin), the first two keeping their rows
    assert sorted(i["user_id"] for i in everyone.json()["items"]) == sorted(team["ids"])
    assert {i["id"] for i in items} < {i["id"] for i in everyone.json()["items"]}
    rows = [r for r in stored(owner_url) if len(r) == 5]
    assert len(rows) == 3
    audits = [r for r in stored(owner_url) if len(r) == 2]
    assert [a[1]["count"] for a in audits] == [2, 3]


async def test_re_assigning_updates_the_due_date_and_target(client, team):
    rep_id = team["ids"][0]
    first = (await assign(client, team["admin"], scenario_id=SCENARIO, user_ids=[rep_id],
                          due_at=later(3), target_score=4)).json()["items"][0]
    again = await assign(client, team["admin"], scenario_id=SCENARIO, user_ids=[rep_id],
                         due_at=later(10), target_score=2.25)
    assert again.status_code == 201, again.text
    second = again.json()["items"][0]
    assert second["id"] == first["id"]
    assert second["target_score"] == 2.25 and second["due_at"] > first["due_at"]
    listed = (await client.get(PATH, headers=bearer(team["admin"]))).json()["items"]
    assert [i["id"] for i in listed] == [first["id"]]


async def test_a_rep_sees_only_their_own(client, team):
    await assign(client, team["admin"], scenario_id=SCENARIO, all=True)
    for rep, rep_id in zip(team["reps"], team["ids"], strict=True):
        mine = await client.get(PATH, headers=bearer(rep))
        assert mine.status_code == 200, mine.text
        assert [i["user_id"] for i in mine.json()["items"]] == [rep_id]
        # naming another rep does not widen a rep's view
        other = await client.get(PATH, headers=bearer(rep), params={"user_id": team["ids"][-1]
                                                                    if rep_id != team["ids"][-1]
                                                                    else team["ids"][0]})
        assert other.json()["items"] == []
    admin_view = (await client.get(PATH, headers=bearer(team["admin"]))).json()["items"]
    assert len(admin_view) == 3
    one = await client.get(PATH, headers=bearer(team["admin"]),
                           params={"user_id": team["ids"][1]})
    assert [i["user_id"] for i in one.json()["items"]] == [team["ids"][1]]


async def test_progress_follows_the_reps_calls_in_the_scenario_after_the_assignment(
    client, app, owner_url, team
):
    rep, rep_id = team["reps"][0], team["ids"][0]
    # before the assignment: does not count, however good
    await scored_call(client, app, owner_url, rep, SCENARIO, 5)
    item = (await assign(client, team["admin"], scenario_id=SCENARIO, user_ids=[rep_id],
                         due_at=later(), target_score=4)).json()["items"][0]
    assert item["best_score"] is None
    # another scenario: does not count
    await scored_call(client, app, owner_url, rep, OTHER_SCENARIO, 5)
    # below the target: best_score set, not completed
    await scored_call(client, app, owner_url, rep, SCENARIO, 3.2)
    mine = (await client.get(PATH, headers=bearer(rep))).json()["items"][0]
    assert mine["best_score"] == 3.2 and mine["completed_at"] is None
    assert mine["overdue"] is False
    open_ones = await client.get(PATH, headers=bearer(team["admin"]), params={"status": "open"})
    assert [i["id"] for i in open_ones.json()["items"]] == [item["id"]]
    # reaching the target completes it
    sid = await scored_call(client, app, owner_url, rep, SCENARIO, 4.5)
    mine = (await client.get(PATH, headers=bearer(rep))).json()["items"][0]
    assert mine["best_score"] == 4.5 and mine["completed_at"] is not None
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        ended = conn.execute("SELECT ended_at FROM sessions WHERE id = %s",
                             (sid,)).fetchone()[0]
    assert datetime.fromisoformat(mine["completed_at"]) == ended
    done = await client.get(PATH, headers=bearer(team["admin"]),
                            params={"status": "completed"})
    assert [i["id"] for i in done.json()["items"]] == [item["id"]]
    assert (await client.get(PATH, headers=bearer(team["admin"]),
                             params={"status": "open"})).json()["items"] == []


async def test_an_assignment_past_its_due_date_is_overdue(client, owner_url, team):
    item = (await assign(client, team["admin"], scenario_id=SCENARIO,
                         user_ids=[team["ids"][0]])).json()["items"][0]
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE assignments SET due_at = now() - interval '1 day' WHERE id = %s",
                     (item["id"],))
    overdue = await client.get(PATH, headers=bearer(team["admin"]), params={"status": "overdue"})
    assert [(i["id"], i["overdue"]) for i in overdue.json()["items"]] == [(item["id"], True)]


@pytest.mark.parametrize("body", [
    {"user_ids": "REPS"},  # no scenario
    {"scenario_id": SCENARIO},  # neither user_ids nor all
    {"scenario_id": SCENARIO, "user_ids": "REPS", "all": True},  # both
    {"scenario_id": SCENARIO, "user_ids": []},
    {"scenario_id": SCENARIO, "all": True, "target_score": 5.5},
    {"scenario_id": SCENARIO, "all": True, "target_score": 0.5},
    {"scenario_id": SCENARIO, "all": True, "target_score": 3.333},
    {"scenario_id": SCENARIO, "all": True, "target_score": "4"},
    {"scenario_id": SCENARIO, "all": True, "due_at": "2020-01-01T10:00:00+00:00"},
    {"scenario_id": SCENARIO, "all": True, "due_at": "2031-01-01T10:00:00"},  # no time zone
    {"scenario_id": SCENARIO, "all": True, "role": "admin"},  # unknown field
    {"scenario_id": "no-such-scenario", "all": True},
    {"scenario_id": str(uuid.uuid4()), "all": True},
    {"scenario_id": SCENARIO, "user_ids": ["UNKNOWN"]},
    {"scenario_id": SCENARIO, "user_ids": ["REPS", "UNKNOWN"]},
])
async def test_bad_requests_are_422_and_write_nothing(client, owner_url, team, body):
    unknown = str(uuid.uuid4())
    body = {k: ([unknown if x == "UNKNOWN" else team["ids"][0] for x in v]
                if k == "user_ids" and isinstance(v, list)
                else team["ids"][:2] if v == "REPS" else v) for k, v in body.items()}
    before = stored(owner_url)
    response = await assign(client, team["admin"], **body)
    assert response.status_code == 422, response.text
    assert stored(owner_url) == before
    if "UNKNOWN" in str(body) or unknown in str(body):
        error = response.json()["error"]
        assert error["code"] == "unknown_rep" and error["details"]["user_ids"] == [unknown]


async def test_a_disabled_rep_is_refused_and_left_out_of_all(client, owner_url, team):
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute("UPDATE users SET disabled_at = now() WHERE id = %s", (team["ids"][2],))
    refused = await assign(client, team["admin"], scenario_id=SCENARIO, user_ids=team["ids"])
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["user_ids"] == [team["ids"][2]]
    everyone = await assign(client, team["admin"], scenario_id=SCENARIO, all=True)
    assert sorted(i["user_id"] for i in everyone.json()["items"]) == sorted(team["ids"][:2])


async def test_an_archived_or_another_companys_scenario_is_refused(client, app, owner_url, team):
    other = await signed_up(client, app, owner_url)
    other_company = user_row(owner_url, other["email"])["company_id"]
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        def scenario(company_id: str, archived: bool) -> str:
            return str(conn.execute(
                "INSERT INTO scenarios (company_id, name, description, persona,"
                " company_background, call_type, difficulty, language, success_criteria,"
                " first_message, archived_at) VALUES (%s, 'Renewal', 'd',"
                " '{\"name\": \"Sam\", \"title\": \"CFO\", \"personality\": \"dry\"}', 'b',"
                " 'closing', 'easy', 'en', 's', 'Hello.', CASE WHEN %s THEN now() END)"
                " RETURNING id", (company_id, archived)).fetchone()[0])
        own, archived = scenario(team["company_id"], False), scenario(team["company_id"], True)
        foreign = scenario(other_company, False)
    before = stored(owner_url)
    for scenario_id in (archived, foreign):
        refused = await assign(client, team["admin"], scenario_id=scenario_id, all=True)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "unassignable_scenario"
    assert stored(owner_url) == before
    made = await assign(client, team["admin"], scenario_id=own, user_ids=[team["ids"][0]])
    assert made.status_code == 201, made.text
    assert made.json()["items"][0]["scenario"] == {"id": own, "name": "Renewal",
                                                   "call_type": "closing"}


async def test_another_companys_reps_and_assignments_are_out_of_reach(
    client, app, owner_url, team
):
    other = await signed_up(client, app, owner_url)
    other_rep = await invited_member(client, owner_url, other["email"])
    other_rep_id = user_row(owner_url, other_rep["email"])["id"]
    theirs = (await assign(client, other, scenario_id=SCENARIO,
                           user_ids=[other_rep_id])).json()["items"][0]
    before = stored(owner_url)
    refused = await assign(client, team["admin"], scenario_id=SCENARIO, user_ids=[other_rep_id])
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["user_ids"] == [other_rep_id]
    gone = await client.delete(f"{PATH}/{theirs['id']}", headers=bearer(team["admin"]))
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert stored(owner_url) == before
    filtered = await client.get(PATH, headers=bearer(team["admin"]),
                                params={"user_id": other_rep_id})
    assert filtered.json()["items"] == []


async def test_reps_cannot_assign_or_withdraw_and_operators_have_none(
    client, owner_url, team, monkeypatch, tmp_path
):
    item = (await assign(client, team["admin"], scenario_id=SCENARIO,
                         user_ids=[team["ids"][0]])).json()["items"][0]
    before = stored(owner_url)
    rep = team["reps"][0]
    refused = await assign(client, rep, scenario_id=SCENARIO, user_ids=[team["ids"][0]])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    withdrawn = await client.delete(f"{PATH}/{item['id']}", headers=bearer(rep))
    assert withdrawn.status_code == 403
    assert stored(owner_url) == before
    root = await operator(client, owner_url, monkeypatch, tmp_path)
    for method, url in (("GET", PATH), ("POST", PATH), ("DELETE", f"{PATH}/{item['id']}")):
        response = await client.request(method, url, headers=bearer(root),
                                        json={"scenario_id": SCENARIO, "all": True})
        assert response.status_code == 403, (method, response.text)
    assert (await client.get(PATH)).status_code == 401


async def test_an_admin_withdraws_an_assignment(client, team):
    items = (await assign(client, team["admin"], scenario_id=SCENARIO,
                          all=True)).json()["items"]
    gone = await client.delete(f"{PATH}/{items[0]['id']}", headers=bearer(team["admin"]))
    assert gone.status_code == 204
    # the withdrawal is on the company's audit trail, by whom and of which assignment
    trail = (await client.get("/api/admin/audit-logs", headers=bearer(team["admin"]))).json()
    entries = trail["items"] if isinstance(trail, dict) else trail
    [entry] = [e for e in entries if e["action"] == "assignment.withdrawn"]
    assert entry["target_type"] == "assignment" and entry["target_id"] == items[0]["id"]
    me = (await client.get("/api/users/me", headers=bearer(team["admin"]))).json()
    assert entry["actor_id"] == me["id"]
    again = await client.delete(f"{PATH}/{items[0]['id']}", headers=bearer(team["admin"]))
    assert again.status_code == 404
    left = (await client.get(PATH, headers=bearer(team["admin"]))).json()["items"]
    assert [i["id"] for i in left] == [i["id"] for i in items[1:]]


async def test_the_list_pages_with_a_cursor(client, team):
    for scenario in (SCENARIO, OTHER_SCENARIO):
        await assign(client, team["admin"], scenario_id=scenario, all=True)
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(PATH, headers=bearer(team["admin"]), params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6
    by_scenario = await client.get(PATH, headers=bearer(team["admin"]),
                                   params={"scenario_id": OTHER_SCENARIO})
    assert {i["scenario"]["id"] for i in by_scenario.json()["items"]} == {OTHER_SCENARIO}
    bad = await client.get(PATH, headers=bearer(team["admin"]), params={"cursor": "nope"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
