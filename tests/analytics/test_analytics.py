"""The analytics endpoints over fixture calls whose figures are computed by hand (see the
comments), plus one real text call end to end, roles, tenancy, pagination and bad windows.

Trend = least-squares slope of the score against the call's ordinal in the window, x 10."""

from __future__ import annotations

import csv
import io

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator
from tests.analytics.helpers import add_call, metrics, set_user
from tests.auth.helpers import bearer, invited_member
from tests.practice.helpers import finished_text_call
from tests.practice.helpers import rep as consenting_admin

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}

# The rep's three counted March calls: (ended_at, call type, minutes, overall score, talk
# ratio, fillers per 100 words, questions per 10 minutes, skills, criteria).
CALL_1 = ("2026-03-02T10:00:00+00:00", "cold_call", 5, 2.0, 0.6, 4.0, 2.0,
          {"discovery": 2, "rapport": 3, "closing": None}, None)
CALL_2 = ("2026-03-02T15:00:00+00:00", "discovery", 7, 3.0, 0.5, 2.0, 4.0,
          {"discovery": 3, "rapport": None, "closing": 4},
          [{"id": "budget", "name": "Budget", "score": 3, "status": "scored"},
           {"id": "need", "name": "Need", "score": None, "status": "not_observed"}])
CALL_3 = ("2026-03-05T09:00:00+00:00", "discovery", 10, 4.0, 0.4, 0.0, 6.0,
          {"discovery": 5, "rapport": 4, "closing": 2},
          [{"id": "budget", "name": "Budget", "score": 5, "status": "scored"},
           {"id": "need", "name": "Need", "score": 4, "status": "scored"}])


def _add(owner_url, email, call) -> None:
    ended, call_type, minutes, score, talk, fillers, questions, skills, criteria = call
    add_call(owner_url, email, ended, score=score, minutes=minutes,
             metrics_body=metrics(call_type=call_type, talk_ratio=talk, fillers=fillers,
                                  questions=questions, skills=skills, criteria=criteria))


async def _team_with_calls(client, app, owner_url):
    acme = await company(client, app, owner_url, "acme")
    rep_email = acme.rep["email"]
    set_user(owner_url, acme.admin["email"], name="Ada Admin")
    set_user(owner_url, rep_email, name="Rita Rep")
    for call in (CALL_1, CALL_2, CALL_3):
        _add(owner_url, rep_email, call)
    # just outside March on each side, a call still live, and one whose feedback never came
    add_call(owner_url, rep_email, "2026-02-28T23:59:59+00:00", score=1.0, minutes=50)
    add_call(owner_url, rep_email, "2026-04-01T00:00:00+00:00", score=1.0, minutes=50)
    add_call(owner_url, rep_email, "2026-03-10T10:00:00+00:00", score=None, minutes=50)
    add_call(owner_url, rep_email, "2026-03-11T10:00:00+00:00", score=None, minutes=50,
             status="in_progress")
    # another company's rep calls in March too: never counted here
    other = await company(client, app, owner_url, "globex")
    add_call(owner_url, other.rep["email"], "2026-03-03T10:00:00+00:00", score=1.0, minutes=9,
             metrics_body=metrics(skills={"discovery": 1}))
    return acme, other


DISCOVERY_SKILLS = {  # what /me says of the skills over CALL_1..3
    # discovery 2, 3, 5 at x 1, 2, 3: mean 3.33; slope 3 / 2 = 1.5
    "discovery": {"average": 3.33, "trend": 15.0},
    # rapport 3 (x 1), 4 (x 3); call 2 did not observe it: mean 3.5, slope 0.5
    "rapport": {"average": 3.5, "trend": 5.0},
    # closing 4 (x 2), 2 (x 3): mean 3, slope -2
    "closing": {"average": 3.0, "trend": -20.0},
    "objection_handling": {"average": None, "trend": None},
    "value_articulation": {"average": None, "trend": None},
}


async def test_a_reps_progress_matches_the_hand_computed_figures(client, app, owner_url):
    acme, _ = await _team_with_calls(client, app, owner_url)
    got = await client.get("/api/analytics/me", params=MARCH, headers=bearer(acme.rep))
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["calls"], body["minutes"]) == (3, 22)
    assert body["score"] == {"average": 3.0, "trend": 10.0}  # 2, 3, 4: slope 1
    assert body["skills"] == DISCOVERY_SKILLS
    # budget 3 (x 2), 5 (x 3); need scored once (4): no trend from one point
    assert body["criteria"] == {
        "budget": {"name": "Budget", "average": 4.0, "trend": 20.0},
        "need": {"name": "Need", "average": 4.0, "trend": None},
    }
    assert (body["talk_ratio"], body["fillers_per_100_words"],
            body["questions_per_10_minutes"]) == (0.5, 2.0, 4.0)
    assert body["series"] == [
        {"date": "2026-03-02", "calls": 2, "score": 2.5, "talk_ratio": 0.55,
         "fillers_per_100_words": 3.0, "questions_per_10_minutes": 3.0,
         "skills": {"discovery": 2.5, "rapport": 3.0, "closing": 4.0}},
        {"date": "2026-03-05", "calls": 1, "score": 4.0, "talk_ratio": 0.4,
         "fillers_per_100_words": 0.0, "questions_per_10_minutes": 6.0,
         "skills": {"discovery": 5.0, "rapport": 4.0, "closing": 2.0}},
    ]
    by_type = {row["call_type"]: row for row in body["by_call_type"]}
    assert (by_type["cold_call"]["calls"], by_type["cold_call"]["minutes"]) == (1, 5)
    assert by_type["cold_call"]["score"] == {"average": 2.0, "trend": None}
    assert by_type["discovery"]["score"] == {"average": 3.5, "trend": 10.0}


async def test_the_call_type_filter_refits_the_trend_on_those_calls(client, app, owner_url):
    acme, _ = await _team_with_calls(client, app, owner_url)
    got = (await client.get("/api/analytics/me", params={**MARCH, "call_type": "discovery"},
                            headers=bearer(acme.rep))).json()
    assert (got["calls"], got["minutes"]) == (2, 17)
    assert got["score"] == {"average": 3.5, "trend": 10.0}
    assert got["skills"]["discovery"] == {"average": 4.0, "trend": 20.0}  # 3, 5 at x 1, 2
    assert got["talk_ratio"] == 0.45


async def test_the_window_edges_are_whole_utc_days(client, app, owner_url):
    acme, _ = await _team_with_calls(client, app, owner_url)
    for day, minutes in (("2026-02-28", 50), ("2026-04-01", 50), ("2026-03-10", 0)):
        got = (await client.get("/api/analytics/me", params={"from": day, "to": day},
                                headers=bearer(acme.rep))).json()
        expected_calls = 1 if minutes else 0  # the call without feedback never counts
        assert (got["calls"], got["minutes"]) == (expected_calls, minutes), day
    empty = (await client.get("/api/analytics/me", headers=bearer(acme.rep))).json()
    assert empty["calls"] == 0 and empty["series"] == [] and empty["score"]["average"] is None


async def test_the_team_table_and_its_csv(client, app, owner_url):
    acme, other = await _team_with_calls(client, app, owner_url)
    with psycopg.connect(libpq_dsn(owner_url), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO assignments (company_id, scenario_id, user_id, target_score, created_at)"
            " SELECT company_id, s, id, 3.5, '2026-01-01' FROM users,"
            " unnest(ARRAY['inbound-lead', 'never-played']) s WHERE email = %s",
            (acme.rep["email"],))
    got = await client.get("/api/analytics/team", params=MARCH, headers=bearer(acme.admin))
    assert got.status_code == 200, got.text
    rows = got.json()["items"]
    assert [row["name"] for row in rows] == ["Ada Admin", "Rita Rep"]  # no globex member
    admin_row, rep_row = rows
    assert (admin_row["calls"], admin_row["minutes"], admin_row["score"]) == (
        0, 0, {"average": None, "trend": None})
    assert (rep_row["calls"], rep_row["minutes"]) == (3, 22)
    assert rep_row["score"] == {"average": 3.0, "trend": 10.0}
    assert rep_row["skills"] == DISCOVERY_SKILLS
    assert rep_row["criteria"]["budget"] == {"name": "Budget", "average": 4.0, "trend": 20.0}
    # inbound-lead reached 3.5 (call 3 scored 4); never-played not
    assert (rep_row["assignments_completed"], rep_row["assignments_total"]) == (1, 2)

    set_user(owner_url, acme.rep["email"], name="=HYPERLINK(\"http://x\")")
    download = await client.get("/api/analytics/team",
                                params={**MARCH, "format": "csv"}, headers=bearer(acme.admin))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"] == (
        'attachment; filename="team-2026-03-01-2026-04-01.csv"')
    table = list(csv.DictReader(io.StringIO(download.text)))
    assert len(table) == 2
    line = table[1]
    assert line["name"] == "'=HYPERLINK(\"http://x\")"
    assert (line["calls"], line["minutes"], line["score_average"]) == ("3", "22", "3.0")
    assert (line["discovery_average"], line["discovery_trend"]) == ("3.33", "15.0")
    assert (line["closing_trend"], line["value_articulation_average"]) == ("-20.0", "")
    assert (line["criterion:budget_average"], line["criterion:need_trend"]) == ("4.0", "")
    assert (line["assignments_completed"], line["assignments_total"]) == ("1", "2")

    theirs = (await client.get("/api/analytics/team", params=MARCH,
                               headers=bearer(other.admin))).json()["items"]
    assert [row["calls"] for row in theirs] == [0, 1]


async def test_the_team_table_pages_through_every_member(client, app, owner_url):
    acme, _ = await _team_with_calls(client, app, owner_url)
    for _ in range(3):
        await invited_member(client, owner_url, acme.admin["email"], voice_consent=False)
    seen, cursor = [], None
    while True:
        params = {**MARCH, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/analytics/team", params=params,
                                 headers=bearer(acme.admin))).json()
        seen += [row["user_id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    bad = await client.get("/api/analytics/team", params={"cursor": "nonsense"},
                           headers=bearer(acme.admin))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"


async def test_the_leaderboard_ranks_ties_alike_and_leaves_out_the_disabled(
    client, app, owner_url,
):
    acme, other = await _team_with_calls(client, app, owner_url)
    add_call(owner_url, acme.admin["email"], "2026-03-20T10:00:00+00:00", score=3.0)
    second = await invited_member(client, owner_url, acme.admin["email"], voice_consent=False)
    set_user(owner_url, second["email"], name="Sam Second")
    add_call(owner_url, second["email"], "2026-03-20T10:00:00+00:00", score=2.5)
    gone = await invited_member(client, owner_url, acme.admin["email"], voice_consent=False)
    add_call(owner_url, gone["email"], "2026-03-20T10:00:00+00:00", score=5.0)
    set_user(owner_url, gone["email"], disabled_at="2026-03-21T00:00:00+00:00")
    refused = await client.get("/api/analytics/leaderboard", headers=bearer(acme.rep))
    assert refused.status_code == 403  # off until an admin turns it on
    assert refused.json()["error"]["code"] == "leaderboard_disabled"
    for admin in (acme.admin, other.admin):
        on = await client.patch("/api/admin/company", json={"leaderboard_enabled": True},
                                headers=bearer(admin))
        assert on.status_code == 200, on.text
    got = await client.get("/api/analytics/leaderboard", params=MARCH, headers=bearer(acme.rep))
    assert got.status_code == 200, got.text
    board = [(row["name"], row["rank"], row["score"]) for row in got.json()["items"]]
    # rep 3.00 over three calls, the admin 3.00 over one: both first; then 2.50
    assert board == [("Ada Admin", 1, 3.0), ("Rita Rep", 1, 3.0), ("Sam Second", 3, 2.5)]

    off = await client.patch("/api/admin/company", json={"leaderboard_enabled": False},
                             headers=bearer(acme.admin))
    assert off.status_code == 200, off.text
    refused = await client.get("/api/analytics/leaderboard", headers=bearer(acme.rep))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "leaderboard_disabled"
    theirs = await client.get("/api/analytics/leaderboard", params=MARCH,
                              headers=bearer(other.rep))
    assert [row["score"] for row in theirs.json()["items"]] == [1.0]


async def test_roles_are_enforced(client, app, owner_url, monkeypatch, tmp_path):
    acme, _ = await _team_with_calls(client, app, owner_url)
    for fmt in ("json", "csv"):
        refused = await client.get("/api/analytics/team", params={"format": fmt},
                                   headers=bearer(acme.rep))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    root = await operator(client, owner_url, monkeypatch, tmp_path)
    for path in ("/me", "/team", "/leaderboard"):
        got = await client.get("/api/analytics" + path, headers=bearer(root))
        assert got.status_code == 403, path
    assert (await client.get("/api/analytics/me")).status_code == 401


async def test_bad_windows_are_422(client, app, owner_url):
    acme, _ = await _team_with_calls(client, app, owner_url)
    cases = [
        ({"from": "2026-03-02", "to": "2026-03-01"}, "invalid_window"),
        ({"from": "2025-02-28", "to": "2026-03-01"}, "invalid_window"),  # 367 days
        ({"from": "2026-13-01"}, None),
        ({"to": "0"}, None),  # not a Unix time
        ({"to": "9999-12-31"}, "invalid_window"),
        ({"to": "0001-01-02"}, "invalid_window"),
        ({"call_type": "karaoke"}, None),
    ]
    for params, code in cases:
        got = await client.get("/api/analytics/me", params=params, headers=bearer(acme.rep))
        assert got.status_code == 422, params
        if code:
            assert got.json()["error"]["code"] == code
    year = await client.get("/api/analytics/me", params={"from": "2025-03-01",
                                                         "to": "2026-03-01"},
                            headers=bearer(acme.rep))
    assert year.status_code == 200  # exactly 366 days


async def test_a_real_text_call_shows_up(client, app, owner_url):
    tokens = await consenting_admin(client, app, owner_url)
    sid = await finished_text_call(client, app, tokens,
                                   "Hi, what is your biggest challenge with hiring today?",
                                   "How do you handle it now, and what would change?")
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        score, minutes = conn.execute(
            "SELECT f.score, s.minutes_billed FROM feedback f JOIN sessions s"
            " ON s.id = f.session_id WHERE s.id = %s", (sid,)).fetchone()
    body = (await client.get("/api/analytics/me", headers=bearer(tokens))).json()
    assert (body["calls"], body["minutes"]) == (1, minutes)
    assert body["score"]["average"] == (None if score is None else float(score))
    assert len(body["series"]) == 1


async def test_the_description_offers_json_and_csv(client):
    spec = (await client.get("/openapi.json")).json()
    ok = spec["paths"]["/api/analytics/team"]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/TeamPage"}
    assert "text/csv" in ok
