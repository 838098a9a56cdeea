"""The scorecard endpoints through HTTP with the real PostgreSQL: templates, creating from scratch
and from a template, versions on edit, the criteria rules (422, nothing stored), roles (reps read,
admins write, operators have none) and tenancy (another company's scorecard is 404)."""

from __future__ import annotations

import json

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator
from tests.auth.helpers import bearer

PATH = "/api/scorecards"
EXPECTED_TEMPLATES = {
    "meddic": ["Metrics", "Economic buyer", "Decision criteria", "Decision process",
               "Identify pain", "Champion"],
    "spin": ["Situation", "Problem", "Implication", "Need-payoff"],
    "bant": ["Budget", "Authority", "Need", "Timeline"],
    "challenger": ["Teach", "Tailor", "Take control"],
}


def criterion(name: str, weight: float = 10, **changes) -> dict:
    return {"name": name, "description": f"How well the rep handles {name.lower()}.",
            "weight": weight,
            "anchors": {"1": "Does not try.", "3": "Tries, partly.", "5": "Does it well."},
            **changes}


def stored(owner_url) -> dict:
    """Every scorecard row and version row, as the superuser sees them."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        cards = conn.execute(
            "SELECT id::text, company_id::text, name, methodology, version FROM scorecards"
            " ORDER BY created_at").fetchall()
        versions = conn.execute(
            "SELECT scorecard_id::text, version, company_id::text, criteria"
            " FROM scorecard_versions ORDER BY scorecard_id, version").fetchall()
    return {"scorecards": cards, "versions": versions}


def audit_actions(owner_url, company_id: str) -> list[str]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute(
            "SELECT action FROM audit_logs WHERE company_id = %s AND action LIKE 'scorecard.%%'"
            " ORDER BY created_at", (company_id,)).fetchall()
    return [r[0] for r in rows]


async def test_templates_cover_four_methodologies_each_criterion_with_three_anchors(
    client, app, owner_url
):
    acme = await company(client, app, owner_url)
    response = await client.get(f"{PATH}/templates", headers=bearer(acme.rep))
    assert response.status_code == 200, response.text
    templates = {t["methodology"]: t for t in response.json()["items"]}
    assert {m: [c["name"] for c in t["criteria"]] for m, t in templates.items()} == (
        EXPECTED_TEMPLATES)
    for template in templates.values():
        ids = [c["id"] for c in template["criteria"]]
        assert len(set(ids)) == len(ids)
        for c in template["criteria"]:
            assert len(c["description"]) > 30 and 0 < c["weight"] <= 100
            assert set(c["anchors"]) == {"1", "3", "5"}
            assert all(len(a.split()) >= 5 for a in c["anchors"].values()), c
    assert (await client.get(f"{PATH}/templates")).status_code == 401


async def test_an_admin_creates_from_scratch_and_a_rep_reads_it(client, app, owner_url):
    acme = await company(client, app, owner_url)
    body = {"name": "Discovery calls", "criteria": [criterion("Rapport", 30),
                                                   criterion("Next step", 70)]}
    created = await client.post(PATH, headers=bearer(acme.admin), json=body)
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["name"], card["methodology"], card["version"]) == (
        "Discovery calls", "custom", 1)
    assert [(c["id"], c["name"], c["weight"]) for c in card["criteria"]] == [
        ("rapport", "Rapport", 30), ("next-step", "Next step", 70)]
    assert card["criteria"][0]["anchors"] == body["criteria"][0]["anchors"]
    assert set(card) == {"id", "name", "methodology", "version", "criteria"}
    assert set(card["criteria"][0]) == {"id", "name", "description", "weight", "anchors"}

    listed = await client.get(PATH, headers=bearer(acme.rep))
    assert listed.status_code == 200, listed.text
    assert listed.json()["items"] == [card]
    assert audit_actions(owner_url, acme.id) == ["scorecard.created"]


async def test_an_admin_creates_from_a_template_then_edits_its_criteria(client, app, owner_url):
    acme = await company(client, app, owner_url)
    templates = (await client.get(f"{PATH}/templates", headers=bearer(acme.admin))).json()
    meddic = next(t for t in templates["items"] if t["methodology"] == "meddic")
    created = await client.post(PATH, headers=bearer(acme.admin), json={"template": "meddic"})
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["methodology"], card["version"], card["name"]) == ("meddic", 1, "MEDDIC")
    assert card["criteria"] == meddic["criteria"]

    named = await client.post(PATH, headers=bearer(acme.admin),
                              json={"template": "spin", "name": "Our SPIN"})
    assert (named.status_code, named.json()["name"]) == (201, "Our SPIN")

    # the template's criteria may then be edited: drop one, reweigh another (by its id)
    criteria = [{k: c[k] for k in ("id", "name", "description", "weight", "anchors")}
                for c in card["criteria"][:-1]]
    criteria[0]["weight"] = 40
    edited = await client.patch(f"{PATH}/{card['id']}", headers=bearer(acme.admin),
                                json={"criteria": criteria})
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["methodology"] == "meddic"
    assert [c["id"] for c in edited.json()["criteria"]] == [c["id"] for c in criteria]
    assert edited.json()["criteria"][0]["weight"] == 40


async def test_renaming_keeps_the_version_and_new_criteria_make_the_next_one(
    client, app, owner_url
):
    acme = await company(client, app, owner_url)
    first = [criterion("Rapport"), criterion("Pain")]
    card = (await client.post(PATH, headers=bearer(acme.admin),
                              json={"name": "Cold calls", "criteria": first})).json()
    url = f"{PATH}/{card['id']}"

    renamed = await client.patch(url, headers=bearer(acme.admin), json={"name": "Cold calls v2"})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["version"]) == ("Cold calls v2", 1)
    assert renamed.json()["criteria"] == card["criteria"]

    # "Pain" by name (no id) keeps its id; "Budget" is new; "Rapport" is dropped
    second = [criterion("pain", 50), criterion("Budget", 50)]
    changed = await client.patch(url, headers=bearer(acme.admin), json={"criteria": second})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    assert [(c["id"], c["name"]) for c in changed.json()["criteria"]] == [
        ("pain", "pain"), ("budget", "Budget")]

    rows = stored(owner_url)
    assert [(r[0], r[4]) for r in rows["scorecards"]] == [(card["id"], 2)]
    versions = [(r[1], [c["name"] for c in r[3]]) for r in rows["versions"]]
    assert versions == [(1, ["Rapport", "Pain"]), (2, ["pain", "Budget"])]
    assert rows["versions"][0][3] == card["criteria"]  # the old version as it was

    # the same criteria again change nothing: no third version
    again = [{k: c[k] for k in ("id", "name", "description", "weight", "anchors")}
             for c in changed.json()["criteria"]]
    same = await client.patch(url, headers=bearer(acme.admin), json={"criteria": again})
    assert same.json()["version"] == 2
    assert len(stored(owner_url)["versions"]) == 2
    assert audit_actions(owner_url, acme.id) == [
        "scorecard.created", "scorecard.changed", "scorecard.changed"]


async def test_bad_criteria_are_422_with_a_message_and_store_nothing(client, app, owner_url):
    acme = await company(client, app, owner_url)
    good = {"name": "Card", "criteria": [criterion("Rapport")]}
    blank_anchor = criterion("Rapport")
    blank_anchor["anchors"] = {"1": "x", "3": "   ", "5": "y"}
    missing_anchor = criterion("Rapport")
    missing_anchor["anchors"] = {"1": "x", "3": "y"}
    bad_bodies = [
        {"name": "Card", "criteria": []},
        {"name": "Card", "criteria": [criterion(f"C{i}") for i in range(13)]},
        {"name": "Card", "criteria": [criterion("Rapport"), criterion("RAPPORT")]},
        {"name": "Card", "criteria": [blank_anchor]},
        {"name": "Card", "criteria": [missing_anchor]},
        {"name": "Card", "criteria": [criterion("Rapport", 0)]},
        {"name": "Card", "criteria": [criterion("Rapport", 101)]},
        {"name": "Card", "criteria": [criterion("x" * 81)]},
        {"name": "Card", "criteria": [criterion("Rapport", description="d" * 501)]},
        {"name": "Card", "criteria": [criterion("Rapport", colour="red")]},
        good | {"owner": "me"},
        good | {"template": "meddic"},
        {"criteria": [criterion("Rapport")]},
        {"template": "sandler"},
        {},
    ]
    for body in bad_bodies:
        response = await client.post(PATH, headers=bearer(acme.admin), json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_error" and error["message"], (body, error)
    duplicate = await client.post(PATH, headers=bearer(acme.admin),
                                  json=bad_bodies[2])
    assert "unique" in duplicate.text
    assert stored(owner_url) == {"scorecards": [], "versions": []}

    card = (await client.post(PATH, headers=bearer(acme.admin), json=good)).json()
    before = stored(owner_url)
    for body in ({"criteria": []}, {"criteria": [criterion("A", 0)]}, {"version": 5},
                 {"criteria": [criterion("A"), criterion("a")]}):
        response = await client.patch(f"{PATH}/{card['id']}", headers=bearer(acme.admin),
                                      json=body)
        assert response.status_code == 422, (body, response.text)
    unknown = await client.patch(f"{PATH}/{card['id']}", headers=bearer(acme.admin),
                                 json={"criteria": [criterion("A", id="no-such-criterion")]})
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["code"] == "unknown_criterion"
    assert stored(owner_url) == before


async def test_a_rep_reads_but_cannot_write(client, app, owner_url):
    acme = await company(client, app, owner_url)
    card = (await client.post(PATH, headers=bearer(acme.admin),
                              json={"template": "bant"})).json()
    before = stored(owner_url)
    created = await client.post(PATH, headers=bearer(acme.rep), json={"template": "spin"})
    changed = await client.patch(f"{PATH}/{card['id']}", headers=bearer(acme.rep),
                                 json={"name": "Mine"})
    for response in (created, changed):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert stored(owner_url) == before
    listed = await client.get(PATH, headers=bearer(acme.rep))
    assert [c["id"] for c in listed.json()["items"]] == [card["id"]]


async def test_another_companys_admin_cannot_read_or_change_a_scorecard(client, app, owner_url):
    acme = await company(client, app, owner_url, "acme")
    globex = await company(client, app, owner_url, "globex")
    card = (await client.post(PATH, headers=bearer(acme.admin),
                              json={"template": "challenger"})).json()
    before = stored(owner_url)
    assert (await client.get(PATH, headers=bearer(globex.admin))).json() == {"items": []}
    assert (await client.get(PATH, headers=bearer(globex.rep))).json() == {"items": []}
    for body in ({"name": "Stolen"}, {"criteria": [criterion("Mine")]}, {}):
        response = await client.patch(f"{PATH}/{card['id']}", headers=bearer(globex.admin),
                                      json=body)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert stored(owner_url) == before
    assert audit_actions(owner_url, globex.id) == []


async def test_an_operator_has_no_scorecards(client, app, owner_url, monkeypatch, tmp_path):
    acme = await company(client, app, owner_url)
    await client.post(PATH, headers=bearer(acme.admin), json={"template": "meddic"})
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    listed = await client.get(PATH, headers=bearer(ops))
    assert listed.status_code == 403, listed.text
    created = await client.post(PATH, headers=bearer(ops), json={"template": "meddic"})
    assert created.status_code == 403, created.text
    templates = await client.get(f"{PATH}/templates", headers=bearer(ops))
    assert templates.status_code == 200
    assert json.dumps(templates.json())  # the same catalogue for every signed-in caller
