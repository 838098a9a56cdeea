"""Issue 17 end to end through the API: an admin writes a scorecard and a scenario graded on it,
a rep plays the scenario with the offline prospect, and the report scores each criterion with
verbatim evidence under the scorecard's version; the scorecard changes and the old report stays
as it was; the scenario is archived and history keeps its name; the assignment follows."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tests.admin.helpers import company
from tests.auth.helpers import bearer
from tests.practice.helpers import finished_text_call, start
from tests.scenarios.helpers import created

BUDGET = {"name": "Budget", "description": "Asks what budget is set aside and who holds it",
          "weight": 3, "anchors": {"1": "never asks about budget",
                                   "3": "asks whether there is a budget",
                                   "5": "learns the amount and who approves it"}}
TIMELINE = {"name": "Timeline", "description": "Asks when the decision and rollout happen",
            "weight": 1, "anchors": {"1": "no timeline", "3": "asks when",
                                     "5": "ties the timeline to an event"}}
LINES = ("Hi Greta, thanks for taking the call.",
         "What budget have you set aside for tracking this year, and who approves it?",
         "When do you need the new tracking in place, before the peak season in October?",
         "How many containers does the delay affect each week?")


async def _scorecard(client, admin, *criteria) -> dict:
    response = await client.post("/api/scorecards", headers=bearer(admin), json={
        "name": "Freight qualification", "criteria": list(criteria)})
    assert response.status_code == 201, response.text
    return response.json()


async def _feedback(client, tokens, sid) -> dict:
    response = await client.get(f"/api/sessions/{sid}/feedback", headers=bearer(tokens))
    assert response.status_code == 200 and response.json()["status"] == "ready", response.text
    return response.json()["metrics"]


def _rep_turns(client_transcript: dict) -> list[str]:
    return [t["text"] for t in client_transcript["turns"] if t["speaker"] == "rep"]


def _weighted(scorecard: dict) -> Decimal:
    scored = [(c["score"], c["weight"]) for c in scorecard["criteria"] if c["score"] is not None]
    mean = sum(s * w for s, w in scored) / sum(w for _, w in scored)
    return Decimal(str(mean)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def test_a_custom_scenario_is_played_offline_and_scored_on_its_scorecard(
    client, app, owner_url
):
    acme = await company(client, app, owner_url)
    scorecard = await _scorecard(client, acme.admin, BUDGET, TIMELINE)
    scenario = await created(client, acme.admin, scorecard_id=scorecard["id"], language="en")
    rep_id = (await client.get("/api/users/me", headers=bearer(acme.rep))).json()["id"]
    assigned = await client.post("/api/assignments", headers=bearer(acme.admin), json={
        "scenario_id": scenario["id"], "user_ids": [rep_id], "target_score": 1})
    assert assigned.status_code == 201, assigned.text

    started = await start(client, acme.rep, mode="text", scenario_id=scenario["id"])
    assert started["scenario"]["name"] == scenario["name"]
    assert started["scenario"]["built_in"] is False
    await client.post(f"/api/sessions/{started['id']}/end", headers=bearer(acme.rep))
    sid = await finished_text_call(client, app, acme.rep, *LINES, scenario_id=scenario["id"])

    transcript = (await client.get(f"/api/sessions/{sid}/transcript",
                                   headers=bearer(acme.rep))).json()
    prospect = " ".join(t["text"] for t in transcript["turns"] if t["speaker"] == "prospect")
    # the offline prospect plays the custom fields: its first line, and a pain of its own
    assert scenario["first_message"] in prospect
    assert any(pain in prospect for pain in scenario["pains"]), prospect

    report = await _feedback(client, acme.rep, sid)
    card = report["scorecard"]
    assert (card["id"], card["version"]) == (scorecard["id"], 1)
    by_name = {c["name"]: c for c in card["criteria"]}
    assert set(by_name) == {"Budget", "Timeline"}
    rep_said = _rep_turns(transcript)
    for criterion in by_name.values():
        assert criterion["status"] == "scored" and 1 <= criterion["score"] <= 5, criterion
        assert criterion["evidence"], criterion
        assert all(any(q in turn for turn in rep_said) for q in criterion["evidence"])
    assert any("budget" in q for q in by_name["Budget"]["evidence"])
    assert any("October" in q or "When" in q for q in by_name["Timeline"]["evidence"])
    assert set(report["skill_scores"]) >= {"discovery", "closing"}  # beside the five skills

    # the call's overall score is the scorecard's weighted mean; the assignment is done by it
    [assignment] = (await client.get("/api/assignments", headers=bearer(acme.rep))).json()[
        "items"]
    assert Decimal(str(assignment["best_score"])) == _weighted(card)
    assert assignment["completed_at"] is not None


async def test_an_old_report_keeps_its_version_and_an_archived_scenario_keeps_its_name(
    client, app, owner_url
):
    acme = await company(client, app, owner_url)
    scorecard = await _scorecard(client, acme.admin, BUDGET)
    scenario = await created(client, acme.admin, scorecard_id=scorecard["id"], language="en")
    first = await finished_text_call(client, app, acme.rep, *LINES, scenario_id=scenario["id"])
    before = await _feedback(client, acme.rep, first)

    changed = await client.patch(f"/api/scorecards/{scorecard['id']}", headers=bearer(
        acme.admin), json={"criteria": [{**BUDGET, "id": "budget", "name": "Money"},
                                        TIMELINE]})
    assert changed.status_code == 200 and changed.json()["version"] == 2, changed.text
    second = await finished_text_call(client, app, acme.rep, *LINES, scenario_id=scenario["id"])

    assert await _feedback(client, acme.rep, first) == before  # readable, unchanged
    assert [c["name"] for c in before["scorecard"]["criteria"]] == ["Budget"]
    after = (await _feedback(client, acme.rep, second))["scorecard"]
    assert after["version"] == 2
    assert [c["name"] for c in after["criteria"]] == ["Money", "Timeline"]

    archived = await client.post(f"/api/scenarios/{scenario['id']}/archive",
                                 headers=bearer(acme.admin))
    assert archived.status_code == 200, archived.text
    listed = (await client.get("/api/scenarios", headers=bearer(acme.rep))).json()["items"]
    assert scenario["id"] not in {item["id"] for item in listed}
    refused = await client.post("/api/sessions/start", headers=bearer(acme.rep),
                                json={"mode": "text", "scenario_id": scenario["id"]})
    assert refused.status_code == 422, refused.text
    history = (await client.get("/api/sessions", headers=bearer(acme.rep))).json()["items"]
    assert {item["scenario"]["name"] for item in history} == {scenario["name"]}
    assert await _feedback(client, acme.rep, first) == before


async def test_a_page_of_calls_names_each_scenario_built_in_own_and_archived(
    client, app, owner_url
):
    acme = await company(client, app, owner_url)
    first = await created(client, acme.admin, name="Renewal at Harbor", language="en")
    second = await created(client, acme.admin, name="Customs broker", language="en")
    for scenario_id in (first["id"], second["id"], "inbound-lead", first["id"]):
        await finished_text_call(client, app, acme.rep, LINES[1], scenario_id=scenario_id)
    await client.post(f"/api/scenarios/{second['id']}/archive", headers=bearer(acme.admin))
    page = (await client.get("/api/sessions", headers=bearer(acme.rep))).json()["items"]
    assert [(item["scenario"]["id"], item["scenario"]["name"]) for item in page] == [
        (first["id"], "Renewal at Harbor"), ("inbound-lead", "Inbound lead"),
        (second["id"], "Customs broker"), (first["id"], "Renewal at Harbor")]


async def test_a_spanish_scenario_is_played_and_analysed_in_spanish(client, app, owner_url):
    acme = await company(client, app, owner_url)
    scenario = await created(
        client, acme.admin, language="es", name="Renovación en Transportes Sur",
        first_message="Soy Marta, tengo cinco minutos.",
        pains=["el seguimiento de los envíos va tres días por detrás"],
        objections=["Ya trabajamos con otro proveedor."])
    sid = await finished_text_call(
        client, app, acme.rep, "Hola, buenos días.", "Eh, bueno, ¿qué es lo que más les frena hoy?",
        scenario_id=scenario["id"])
    transcript = (await client.get(f"/api/sessions/{sid}/transcript",
                                   headers=bearer(acme.rep))).json()
    prospect = [t["text"] for t in transcript["turns"] if t["speaker"] == "prospect"]
    assert prospect == ["Soy Marta, tengo cinco minutos.", "Hola. ¿De qué se trata?",
                        "Bueno, ya que lo pregunta: el seguimiento de los envíos va tres días "
                        "por detrás."]
    report = await _feedback(client, acme.rep, sid)
    assert report["language"] == "es"  # the scenario's, as the call began
    assert report["filler_words"]["by_word"] == {"eh": 1, "bueno": 1}
