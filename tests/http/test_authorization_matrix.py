"""The authorisation matrix, generated from /openapi.json, so that an endpoint is covered the day
it lands.

Every operation that takes an id (in its path, or a ``*_id`` field of its body) is called by a rep
and by an admin of company A with company B's ids: each answer is 404 (or 403 for a role that may
not call it at all), and nothing of company B changes. Every ``/api/admin/`` operation answers a
rep 403; one that declares ``x-roles`` without ``admin`` (super-admin only) answers an admin 403.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer, drain_jobs, invited_member, signed_up
from tests.conftest import TENANT_TABLES
from tests.practice.helpers import start
from tests.scenarios.helpers import scenario_body

# Ids that name things of the catalogue, not of a company: any caller may name them.
CATALOGUE_IDS = {"plan_id", "pack_id"}
# An id named in a request BODY that is not the caller's company's reads as unknown: the
# endpoint's own 422 for an unknown reference (a path id is 404).
# A rule the schema's "required" cannot say (exactly one of user_ids or all): what makes the
# generic body valid.
BODY_COMPLETIONS = {"AssignmentIn": {"all": True}}
BODY_REFERENCE_CODES = {"unknown_scenario", "unknown_scorecard", "unassignable_scenario",
                        "unknown_rep"}
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Company:
    admin: dict
    rep: dict
    company_id: str
    rep_id: str
    session_id: str
    scorecard_id: str
    assignment_id: str
    scenario_id: str
    recording_id: str


async def company(client, app, owner_url) -> Company:
    admin = await signed_up(client, app, owner_url)
    rep = await invited_member(client, owner_url, admin["email"])
    me = (await client.get("/api/users/me", headers=bearer(rep))).json()
    sid = (await start(client, rep, mode="text"))["id"]
    await client.post(f"/api/sessions/{sid}/stream", headers=bearer(rep),
                      json={"text": "What does your team need most this quarter?"})
    await client.post(f"/api/sessions/{sid}/end", headers=bearer(rep))
    await drain_jobs(app)
    scorecard = await client.post("/api/scorecards", headers=bearer(admin),
                                  json={"template": "meddic"})
    assert scorecard.status_code == 201, scorecard.text
    assignment = await client.post("/api/assignments", headers=bearer(admin),
                                   json={"scenario_id": "discovery-busy-vp", "all": True})
    assert assignment.status_code == 201, assignment.text
    scenario = await client.post("/api/scenarios", headers=bearer(admin), json=scenario_body(
        scorecard_id=scorecard.json()["id"]))
    assert scenario.status_code == 201, scenario.text
    # the rep's recording, waiting for its speaker (so that choosing one would change it)
    recording = await client.post("/api/recordings", headers=bearer(rep), files={"file": (
        "call.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nRita: What slows you down?\n\n"
        b"00:00:05.000 --> 00:00:09.000\nPaul: Reporting, mostly.\n")})
    assert recording.status_code == 202, recording.text
    await drain_jobs(app)
    return Company(admin, rep, me["company"]["id"], me["id"], sid, scorecard.json()["id"],
                   assignment.json()["items"][0]["id"], scenario.json()["id"],
                   recording.json()["id"])


def ids_of(b: Company) -> dict[str, str]:
    """Company B's ids, by the parameter and field names the API uses for them."""
    return {"session_id": b.session_id, "user_id": b.rep_id, "company_id": b.company_id,
            "id": b.rep_id, "scorecard_id": b.scorecard_id, "assignment_id": b.assignment_id,
            "scenario_id": b.scenario_id, "recording_id": b.recording_id}


def snapshot(owner_url, company_id: str) -> str:
    """A digest of every row of the company in every tenant table."""
    digest = hashlib.sha256()
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        for table in TENANT_TABLES:
            column = "id" if table == "companies" else "company_id"
            query = sql.SQL("SELECT t::text FROM {} t WHERE {} = %s ORDER BY 1").format(
                sql.Identifier(table), sql.Identifier(column))
            rows = conn.execute(query, (company_id,)).fetchall()
            digest.update(f"{table}:{rows!r}".encode())
    return digest.hexdigest()


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:  # Optional[...]: its first non-null form
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
        return resolve(spec, schema)
    return schema


def value_for(spec: dict, name: str, schema: dict, ids: dict[str, str]) -> Any:
    """A valid value for a body field: B's id for an id field, else the simplest the schema
    accepts."""
    if name in ids:
        return ids[name]
    schema = resolve(spec, schema)
    if "enum" in schema:
        return schema["enum"][-1]
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "email":
        return f"matrix-{uuid.uuid4().hex[:8]}@example.com"
    if fmt == "date-time":
        return "2031-01-01T10:00:00+00:00"
    if fmt == "uuid":
        return str(uuid.uuid4())
    if kind == "object" and "properties" in schema:  # a nested body: its required fields
        return {field: value_for(spec, field, schema["properties"][field], ids)
                for field in schema.get("required", [])}
    if kind == "array" and schema.get("minItems"):
        return [value_for(spec, name, schema["items"], ids)] * schema["minItems"]
    return {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}.get(
        kind, "x" * max(1, schema.get("minLength", 1)))


def bodies_for(spec: dict, operation: dict, ids: dict[str, str]) -> list[tuple[dict | None, bool]]:
    """[(a body, whether it names one of B's ids)]: one body per id field (a body may take one
    id of several, as ``{company_id}`` or ``{user_id}``), or one body of required fields."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return [(None, False)]
    completion = BODY_COMPLETIONS.get(content["schema"].get("$ref", "").rsplit("/", 1)[-1], {})
    schema = resolve(spec, content["schema"])
    fields = schema.get("properties", {})
    required = set(schema.get("required", []))
    id_fields = [name for name in fields if name.endswith("_id") and name not in CATALOGUE_IDS]

    def body(wanted: set[str]) -> dict:
        return {name: value_for(spec, name, fields[name], ids)
                for name in fields if name in wanted} | completion

    if not id_fields:
        return [(body(required), False)]
    return [(body(required | {name}), True) for name in id_fields]


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


@pytest.fixture
async def two_companies(client, app, owner_url) -> tuple[Company, Company]:
    return await company(client, app, owner_url), await company(client, app, owner_url)


async def test_company_b_ids_are_404_to_company_a_and_change_nothing(
    client, app, owner_url, two_companies
):
    a, b = two_companies
    spec = (await client.get("/openapi.json")).json()
    ids = ids_of(b)
    before = snapshot(owner_url, b.company_id)
    checked = []
    for path, method, operation in operations(spec):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = path.format(**{name: ids.get(name, str(uuid.uuid4())) for name in names})
        for body, body_names_id in bodies_for(spec, operation, ids):
            if not names and not body_names_id:
                continue
            for who, tokens in (("rep", a.rep), ("admin", a.admin)):
                response = await client.request(method.upper(), url, headers=bearer(tokens),
                                                json=body)
                code = response.json()["error"]["code"]
                refused_as_unknown = (response.status_code == 422 and body_names_id
                                      and code in BODY_REFERENCE_CODES)
                assert response.status_code in (403, 404) or refused_as_unknown, (
                    who, method, url, body, response.status_code, response.text[:300])
                assert code in ("forbidden", "not_found") or refused_as_unknown
                checked.append((who, method, path))
    assert snapshot(owner_url, b.company_id) == before
    # Not vacuous: the practice endpoints alone take a session id; B's scorecard is patched by
    # A's rep and admin (issue 17).
    assert len({path for _, _, path in checked}) >= 5, checked
    assert {(who, "patch", "/api/scorecards/{scorecard_id}") for who in ("rep", "admin")} <= set(
        checked), checked
    assert {(who, "delete", "/api/assignments/{assignment_id}") for who in ("rep", "admin")} <= set(
        checked), checked
    assert {(who, method, path) for who in ("rep", "admin") for method, path in (
        ("get", "/api/scenarios/{scenario_id}"), ("patch", "/api/scenarios/{scenario_id}"),
        ("post", "/api/scenarios/{scenario_id}/archive"),
        ("post", "/api/scenarios/{scenario_id}/duplicate"), ("post", "/api/sessions/start"),
        ("post", "/api/assignments"))} <= set(checked), checked
    assert {(who, method, "/api/recordings/{recording_id}" + tail) for who in ("rep", "admin")
            for method, tail in (("get", ""), ("delete", ""), ("post", "/speaker"),
                                 ("get", "/transcript"), ("get", "/feedback"))} <= set(
        checked), checked


async def test_admin_endpoints_refuse_reps_and_super_admin_ones_refuse_admins(
    client, app, owner_url, two_companies
):
    a, _b = two_companies
    spec = (await client.get("/openapi.json")).json()
    ids = ids_of(a)  # their own company's ids: the role alone must refuse
    checked = []
    for path, method, operation in operations(spec):
        if not path.startswith("/api/admin/"):
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        url = path.format(**{name: ids.get(name, str(uuid.uuid4())) for name in names})
        refused = [("rep", a.rep)]
        roles = operation.get("x-roles")
        if roles is not None and "admin" not in roles:
            refused.append(("admin", a.admin))
        for body, _ in bodies_for(spec, operation, ids):
            for who, tokens in refused:
                response = await client.request(method.upper(), url, headers=bearer(tokens),
                                                json=body)
                assert response.status_code == 403, (who, method, url, body,
                                                     response.text[:300])
                checked.append((who, method, path))
    assert len({path for _, _, path in checked}) >= 4, checked


async def test_admin_only_reads_outside_admin_refuse_reps(client, app, owner_url, two_companies):
    """A GET declaring ``x-roles`` without reps (the analytics team table, issue 17) answers a
    rep of the company 403, as the /api/admin/ ones do."""
    a, _b = two_companies
    spec = (await client.get("/openapi.json")).json()
    checked = []
    for path, method, operation in operations(spec):
        roles = operation.get("x-roles")
        takes_ids = any(p["in"] == "path" for p in operation.get("parameters", []))
        if method != "get" or path.startswith("/api/admin/") or roles is None or takes_ids:
            continue
        if "user" in roles:
            continue
        response = await client.get(path, headers=bearer(a.rep))
        assert response.status_code == 403, (path, response.text[:300])
        assert response.json()["error"]["code"] == "forbidden"
        checked.append(path)
    assert "/api/analytics/team" in checked, checked
