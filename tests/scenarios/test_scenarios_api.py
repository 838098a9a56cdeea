"""The scenario endpoints through HTTP with the real PostgreSQL: the library (built-ins and the
company's own), creating, reading, changing, archiving and duplicating company scenarios, the
rules (422, nothing stored), built-ins read-only, roles and tenancy (another company's scenario
is 404, its scorecard as unknown as a made-up one)."""

from __future__ import annotations

import uuid

import pytest

from tests.admin.helpers import company, operator
from tests.auth.helpers import bearer
from tests.scenarios.helpers import (
    PATH,
    audit_actions,
    created,
    scenario_body,
    stored_scenarios,
)

BUILT_IN = "discovery-busy-vp"


async def _scorecard(client, tokens) -> str:
    response = await client.post("/api/scorecards", headers=bearer(tokens),
                                 json={"template": "spin"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_an_admin_creates_a_scenario_and_every_member_sees_it_beside_the_built_ins(
    client, app, owner_url
):
    acme = await company(client, app, owner_url)
    scorecard_id = await _scorecard(client, acme.admin)
    scenario = await created(client, acme.admin, scorecard_id=scorecard_id)
    expected = scenario_body(scorecard_id=scorecard_id)
    assert {k: scenario[k] for k in expected} == expected
    assert scenario["built_in"] is False and scenario["archived_at"] is None
    assert scenario["created_at"] and scenario["updated_at"]
    uuid.UUID(scenario["id"])

    listed = await client.get(PATH, headers=bearer(acme.rep))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["built_in"] for i in items].count(True) >= 6
    mine = [i for i in items if not i["built_in"]]
    assert mine == [{
        "id": scenario["id"], "name": expected["name"], "description": expected["description"],
        "difficulty": "easy", "call_type": "closing", "language": "de", "built_in": False,
        "scorecard_id": scorecard_id,
        "persona": {"name": "Greta Holm", "title": "Head of Logistics",
                    "company": "Harbor Freight Co",
                    "personality": "dry, numbers-driven, hates surprises",
                    "win_condition": expected["success_criteria"]},
    }]
    built_in = next(i for i in items if i["id"] == BUILT_IN)
    assert (built_in["language"], built_in["scorecard_id"]) == ("en", None)

    one = await client.get(f"{PATH}/{scenario['id']}", headers=bearer(acme.rep))
    assert one.status_code == 200 and one.json() == scenario
    assert audit_actions(owner_url, acme.id) == [("scenario.created", scenario["id"])]


async def test_a_built_in_reads_whole_and_cannot_be_changed_or_archived(client, app, owner_url):
    acme = await company(client, app, owner_url)
    one = await client.get(f"{PATH}/{BUILT_IN}", headers=bearer(acme.rep))
    assert one.status_code == 200, one.text
    body = one.json()
    assert (body["built_in"], body["first_message"], body["persona"]["name"]) == (
        True, "Marcus speaking. I've got about ten minutes, go ahead.", "Marcus Lee")
    assert len(body["pains"]) == 3 and body["created_at"] is None
    changed = await client.patch(f"{PATH}/{BUILT_IN}", headers=bearer(acme.admin),
                                 json={"name": "Mine now"})
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "built_in_scenario"
    archived = await client.post(f"{PATH}/{BUILT_IN}/archive", headers=bearer(acme.admin))
    assert archived.status_code == 409
    assert (await client.get(f"{PATH}/no-such-slug", headers=bearer(acme.rep))).status_code == 404
    assert stored_scenarios(owner_url) == []  # refusals wrote nothing
    assert audit_actions(owner_url, acme.id) == []


@pytest.mark.parametrize("change", [
    {"name": "   "},
    {"name": "x" * 121},
    {"persona": {"name": "Greta", "title": "Boss"}},  # personality missing
    {"persona": {"name": "Greta", "title": "Boss", "personality": "calm", "age": 40}},
    {"call_type": "cold call"},
    {"difficulty": "extreme"},
    {"language": "it"},
    {"pains": []},
    {"pains": ["a pain"] * 11},
    {"objections": ["fine", " "]},
    {"objections": ["x" * 301]},
    {"success_criteria": ""},
    {"first_message": "Hello\u0000"},
    {"scorecard_id": "not-a-uuid"},
    {"is_admin": True},
])
async def test_invalid_scenarios_are_refused_and_nothing_is_stored(
    client, app, owner_url, change
):
    acme = await company(client, app, owner_url)
    before = stored_scenarios(owner_url)
    response = await client.post(PATH, headers=bearer(acme.admin), json=scenario_body(**change))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    existing = await created(client, acme.admin)
    after_create = stored_scenarios(owner_url)
    patched = await client.patch(f"{PATH}/{existing['id']}", headers=bearer(acme.admin),
                                 json=change)
    assert patched.status_code == 422, patched.text
    assert stored_scenarios(owner_url) == after_create and len(after_create) == len(before) + 1


async def test_missing_fields_are_refused(client, app, owner_url):
    acme = await company(client, app, owner_url)
    body = scenario_body()
    del body["first_message"]
    response = await client.post(PATH, headers=bearer(acme.admin), json=body)
    assert response.status_code == 422
    assert all(row[1] != acme.id for row in stored_scenarios(owner_url))


async def test_the_scorecard_must_be_the_companys_own_and_live(client, app, owner_url):
    acme = await company(client, app, owner_url, "acme")
    globex = await company(client, app, owner_url, "globex")
    theirs = await _scorecard(client, globex.admin)
    refusals = []
    for scorecard_id in (theirs, str(uuid.uuid4())):
        response = await client.post(PATH, headers=bearer(acme.admin),
                                     json=scenario_body(scorecard_id=scorecard_id))
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        refusals.append((error["code"], error["message"]))
    # another company's scorecard looks exactly like one that does not exist
    assert refusals[0] == refusals[1] and refusals[0][0] == "unknown_scorecard"
    assert all(row[1] != acme.id for row in stored_scenarios(owner_url))

    scenario = await created(client, acme.admin)
    response = await client.patch(f"{PATH}/{scenario['id']}", headers=bearer(acme.admin),
                                  json={"scorecard_id": theirs})
    assert response.status_code == 422 and response.json()["error"]["code"] == (
        "unknown_scorecard")
    own = await _scorecard(client, acme.admin)
    attached = await client.patch(f"{PATH}/{scenario['id']}", headers=bearer(acme.admin),
                                  json={"scorecard_id": own})
    assert attached.json()["scorecard_id"] == own
    detached = await client.patch(f"{PATH}/{scenario['id']}", headers=bearer(acme.admin),
                                  json={"scorecard_id": None})
    assert detached.status_code == 200 and detached.json()["scorecard_id"] is None


async def test_a_change_is_partial_and_audited(client, app, owner_url):
    acme = await company(client, app, owner_url)
    scenario = await created(client, acme.admin)
    response = await client.patch(
        f"{PATH}/{scenario['id']}", headers=bearer(acme.admin),
        json={"name": "  Renewal, harder  ", "difficulty": "hard",
              "pains": ["the board wants a cheaper vendor"]})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["name"], changed["difficulty"], changed["pains"]) == (
        "Renewal, harder", "hard", ["the board wants a cheaper vendor"])
    untouched = {k: v for k, v in scenario.items()
                 if k not in ("name", "difficulty", "pains", "updated_at")}
    assert {k: changed[k] for k in untouched} == untouched
    same = await client.patch(f"{PATH}/{scenario['id']}", headers=bearer(acme.admin),
                              json={"difficulty": "hard"})
    assert same.status_code == 200
    assert audit_actions(owner_url, acme.id) == [("scenario.created", scenario["id"]),
                                                 ("scenario.changed", scenario["id"])]


async def test_archiving_is_idempotent_hides_the_scenario_and_freezes_it(client, app, owner_url):
    acme = await company(client, app, owner_url)
    scenario = await created(client, acme.admin)
    first = await client.post(f"{PATH}/{scenario['id']}/archive", headers=bearer(acme.admin))
    assert first.status_code == 200, first.text
    assert first.json()["archived_at"] is not None
    again = await client.post(f"{PATH}/{scenario['id']}/archive", headers=bearer(acme.admin))
    assert again.status_code == 200 and again.json()["archived_at"] == first.json()["archived_at"]
    listed = (await client.get(PATH, headers=bearer(acme.rep))).json()["items"]
    assert scenario["id"] not in [i["id"] for i in listed]
    # still readable by id (history and the edit page name it)
    assert (await client.get(f"{PATH}/{scenario['id']}", headers=bearer(acme.rep))).json()[
        "archived_at"] == first.json()["archived_at"]
    refused = await client.patch(f"{PATH}/{scenario['id']}", headers=bearer(acme.admin),
                                 json={"name": "Back again"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "scenario_archived"
    assert [a for a, _ in audit_actions(owner_url, acme.id)] == ["scenario.created",
                                                                "scenario.archived"]


async def test_duplicating_a_built_in_and_a_company_scenario(client, app, owner_url):
    acme = await company(client, app, owner_url)
    copy = await client.post(f"{PATH}/{BUILT_IN}/duplicate", headers=bearer(acme.admin))
    assert copy.status_code == 201, copy.text
    built_in = (await client.get(f"{PATH}/{BUILT_IN}", headers=bearer(acme.admin))).json()
    body = copy.json()
    assert body["name"] == "Discovery with a busy VP (copy)" and body["built_in"] is False
    same = ("description", "persona", "call_type", "difficulty", "language", "pains",
            "objections", "success_criteria", "first_message")
    assert {k: body[k] for k in same} == {k: built_in[k] for k in same}

    scorecard_id = await _scorecard(client, acme.admin)
    original = await created(client, acme.admin, scorecard_id=scorecard_id,
                             name="y" * 120)
    second = await client.post(f"{PATH}/{original['id']}/duplicate",
                               headers=bearer(acme.admin))
    assert second.status_code == 201, second.text
    twin = second.json()
    assert twin["id"] != original["id"] and len(twin["name"]) == 120
    assert twin["name"].endswith(" (copy)")
    assert {k: twin[k] for k in (*same, "company_background", "scorecard_id")} == {
        k: original[k] for k in (*same, "company_background", "scorecard_id")}
    listed = [i["id"] for i in (await client.get(PATH, headers=bearer(acme.rep))).json()["items"]]
    assert {body["id"], original["id"], twin["id"]} <= set(listed)


async def test_reps_read_but_never_write(client, app, owner_url):
    acme = await company(client, app, owner_url)
    scenario = await created(client, acme.admin)
    before = stored_scenarios(owner_url)
    attempts = [
        client.post(PATH, headers=bearer(acme.rep), json=scenario_body()),
        client.patch(f"{PATH}/{scenario['id']}", headers=bearer(acme.rep), json={"name": "X"}),
        client.post(f"{PATH}/{scenario['id']}/archive", headers=bearer(acme.rep)),
        client.post(f"{PATH}/{scenario['id']}/duplicate", headers=bearer(acme.rep)),
        client.post(f"{PATH}/{BUILT_IN}/duplicate", headers=bearer(acme.rep)),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert stored_scenarios(owner_url) == before
    assert (await client.get(PATH)).status_code == 401


async def test_an_operator_reads_the_built_ins_and_writes_nothing(
    client, app, owner_url, monkeypatch, tmp_path
):
    acme = await company(client, app, owner_url)
    scenario = await created(client, acme.admin)
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    listed = await client.get(PATH, headers=bearer(ops))
    assert listed.status_code == 200
    assert all(i["built_in"] for i in listed.json()["items"])
    assert (await client.get(f"{PATH}/{scenario['id']}", headers=bearer(ops))).status_code == 404
    for response in (
        await client.post(PATH, headers=bearer(ops), json=scenario_body()),
        await client.post(f"{PATH}/{BUILT_IN}/duplicate", headers=bearer(ops)),
        await client.patch(f"{PATH}/{scenario['id']}", headers=bearer(ops), json={"name": "X"}),
    ):
        assert response.status_code == 403, response.text


async def test_another_companys_scenario_is_not_found_anywhere(client, app, owner_url):
    acme = await company(client, app, owner_url, "acme")
    globex = await company(client, app, owner_url, "globex")
    theirs = await created(client, globex.admin)
    before = stored_scenarios(owner_url)
    sid = theirs["id"]
    for tokens in (acme.admin, acme.rep):
        assert (await client.get(f"{PATH}/{sid}", headers=bearer(tokens))).status_code == 404
    for response in (
        await client.patch(f"{PATH}/{sid}", headers=bearer(acme.admin), json={"name": "Mine"}),
        await client.post(f"{PATH}/{sid}/archive", headers=bearer(acme.admin)),
        await client.post(f"{PATH}/{sid}/duplicate", headers=bearer(acme.admin)),
        await client.patch(f"{PATH}/{uuid.uuid4()}", headers=bearer(acme.admin),
                           json={"name": "Mine"}),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    listed = (await client.get(PATH, headers=bearer(acme.rep))).json()["items"]
    assert sid not in [i["id"] for i in listed]
    # starting a call in it: the same refusal as a scenario that does not exist
    start = await client.post("/api/sessions/start", headers=bearer(acme.rep),
                              json={"scenario_id": sid, "mode": "text"})
    made_up = await client.post("/api/sessions/start", headers=bearer(acme.rep),
                                json={"scenario_id": str(uuid.uuid4()), "mode": "text"})
    assert start.status_code == made_up.status_code == 422
    assert start.json()["error"]["code"] == "unknown_scenario"
    assert stored_scenarios(owner_url) == before
