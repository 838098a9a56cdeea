"""POST /api/admin/quotas: an operator sets a company's total minutes; an admin caps a user of
their own company, never above the company's total; the cap really limits practice."""

from __future__ import annotations

import uuid

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.admin.helpers import company, operator, user_row
from tests.auth.helpers import bearer, invited_member


def quotas_of(owner_url, company_id: str) -> list[tuple]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT user_id::text, total_minutes, used_minutes FROM minute_quotas"
            " WHERE company_id = %s ORDER BY user_id NULLS FIRST", (company_id,),
        ).fetchall()


async def set_quota(client, tokens, **body):
    return await client.post("/api/admin/quotas", headers=bearer(tokens), json=body)


async def test_an_admin_caps_a_user_and_the_cap_holds(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep = await invited_member(client, owner_url, a.admin["email"])
    rep_id = user_row(owner_url, rep["email"])["id"]
    [(_, company_total, _)] = quotas_of(owner_url, a.id)
    response = await set_quota(client, a.admin, user_id=rep_id, total_minutes=0)
    assert response.status_code == 200, response.text
    assert response.json() == {"company_id": a.id, "user_id": rep_id, "total_minutes": 0,
                               "used_minutes": 0}
    refused = await client.post("/api/sessions/start", headers=bearer(rep),
                                json={"mode": "text"})
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "quota_exhausted"
    raised = await set_quota(client, a.admin, user_id=rep_id, total_minutes=5)
    assert raised.status_code == 200 and raised.json()["total_minutes"] == 5
    assert quotas_of(owner_url, a.id) == [(None, company_total, 0), (rep_id, 5, 0)]
    started = await client.post("/api/sessions/start", headers=bearer(rep),
                                json={"mode": "text"})
    assert started.status_code == 201 and started.json()["minutes_remaining"] == 4


async def test_a_cap_never_exceeds_the_company_total(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep_id = user_row(owner_url, a.rep["email"])["id"]
    [(_, company_total, _)] = quotas_of(owner_url, a.id)
    response = await set_quota(client, a.admin, user_id=rep_id, total_minutes=company_total + 1)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "cap_above_company_total"
    assert response.json()["error"]["details"]["company_total_minutes"] == company_total
    assert len(quotas_of(owner_url, a.id)) == 1


async def test_an_admin_cannot_touch_another_company_or_the_company_total(
    client, app, owner_url
):
    a = await company(client, app, owner_url, "a")
    b = await company(client, app, owner_url, "b")
    before = quotas_of(owner_url, b.id)
    for user_id in (user_row(owner_url, b.rep["email"])["id"], str(uuid.uuid4())):
        response = await set_quota(client, a.admin, user_id=user_id, total_minutes=1)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    for company_id in (a.id, b.id):
        response = await set_quota(client, a.admin, company_id=company_id, total_minutes=9999)
        assert response.status_code == 403
    assert quotas_of(owner_url, b.id) == before
    assert len(quotas_of(owner_url, a.id)) == 1


async def test_a_rep_is_refused(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep_id = user_row(owner_url, a.rep["email"])["id"]
    response = await set_quota(client, a.rep, user_id=rep_id, total_minutes=1)
    assert response.status_code == 403
    assert len(quotas_of(owner_url, a.id)) == 1


async def test_bad_bodies_are_422(client, app, owner_url):
    a = await company(client, app, owner_url)
    rep_id = user_row(owner_url, a.rep["email"])["id"]
    for body in ({"total_minutes": 5}, {"user_id": rep_id, "company_id": a.id, "total_minutes": 5},
                 {"user_id": rep_id, "total_minutes": -1}, {"user_id": rep_id},
                 {"user_id": rep_id, "total_minutes": "5"},
                 {"user_id": rep_id, "total_minutes": 10**9},
                 {"user_id": rep_id, "total_minutes": 5, "used_minutes": 0}):
        response = await set_quota(client, a.admin, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    assert len(quotas_of(owner_url, a.id)) == 1


async def test_an_operator_sets_a_company_total(client, app, owner_url, monkeypatch, tmp_path):
    b = await company(client, app, owner_url, "b")
    ops = await operator(client, owner_url, monkeypatch, tmp_path)
    response = await set_quota(client, ops, company_id=b.id, total_minutes=500)
    assert response.status_code == 200, response.text
    assert response.json() == {"company_id": b.id, "user_id": None, "total_minutes": 500,
                               "used_minutes": 0}
    assert quotas_of(owner_url, b.id) == [(None, 500, 0)]
    unknown = await set_quota(client, ops, company_id=str(uuid.uuid4()), total_minutes=5)
    assert unknown.status_code == 404
    rep_id = user_row(owner_url, b.rep["email"])["id"]
    capped = await set_quota(client, ops, user_id=rep_id, total_minutes=500)
    assert capped.status_code == 200 and capped.json()["user_id"] == rep_id
