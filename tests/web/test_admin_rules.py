"""The admin and operator pages' rules over HTTP: who may open them, another company's ids,
CSRF, and the services' refusals shown with the API's message."""

from __future__ import annotations

import re

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import (
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
    PASSWORD,
    invited_member,
    signed_in_operator,
)
from tests.web.helpers import browser_client, form_post, signed_in_browser

ADMIN_PAGES = ("/admin/team", "/admin/usage", "/admin/audit", "/admin/billing")


def _user(owner_url, email: str) -> dict:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        row = conn.execute("SELECT id, role, disabled_at FROM users WHERE email = %s",
                           (email,)).fetchone()
    return {"id": str(row[0]), "role": row[1], "disabled": row[2] is not None}


def _caps(owner_url, user_id: str) -> list:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute("SELECT total_minutes FROM minute_quotas WHERE user_id = %s",
                            (user_id,)).fetchall()


async def _log_in(client, email: str, password: str = PASSWORD) -> None:
    response = await form_post(client, "/login", "/login",
                               {"email": email, "password": password, "next": "/settings"})
    assert response.status_code == 303, response.text


async def test_admin_pages_need_a_session_and_an_admin(app, client, owner_url):
    async with browser_client(app) as anonymous:
        for path in (*ADMIN_PAGES, "/operator/companies"):
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/login?next=")
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        for path in ADMIN_PAGES:
            assert (await admin.get(path)).status_code == 200, path
        refused = await admin.get("/operator/companies")
        assert refused.status_code == 403 and "operators" in refused.text
        rep = await invited_member(client, owner_url, admin_email, "user")
    async with browser_client(app) as browser:
        await _log_in(browser, rep["email"])
        for path in ADMIN_PAGES:
            response = await browser.get(path)
            assert response.status_code == 403, path
            assert "Not allowed" in response.text
        admin_id = _user(owner_url, admin_email)["id"]
        posted = await form_post(browser, "/settings", f"/admin/team/{admin_id}/role",
                                 {"role": "user"})
        assert posted.status_code == 403
    assert _user(owner_url, admin_email)["role"] == "admin"


async def test_an_admin_changes_a_role_disables_a_member_and_their_browser_is_refused(
        app, client, owner_url):
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        rep = await invited_member(client, owner_url, admin_email, "user")
        rep_id = _user(owner_url, rep["email"])["id"]
        async with browser_client(app) as rep_browser:
            await _log_in(rep_browser, rep["email"])
            assert (await rep_browser.get("/settings")).status_code == 200

            made_admin = await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/role",
                                         {"role": "admin"})
            assert made_admin.status_code == 303
            assert _user(owner_url, rep["email"])["role"] == "admin"
            page = await admin.get(made_admin.headers["location"])
            assert "The role is changed." in page.text

            disabled = await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/access",
                                       {"disabled": "true"})
            assert disabled.status_code == 303 and _user(owner_url, rep["email"])["disabled"]
            refused = await rep_browser.get("/settings")
            assert refused.status_code == 303 and refused.headers["location"].startswith("/login")

            enabled = await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/access",
                                      {"disabled": "false"})
            assert enabled.status_code == 303 and not _user(owner_url, rep["email"])["disabled"]

        admin_id = _user(owner_url, admin_email)["id"]
        # the rep, now an admin, was disabled then enabled: still an admin; demote them, then
        # the last admin cannot demote themself
        await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/role", {"role": "user"})
        last = await form_post(admin, "/admin/team", f"/admin/team/{admin_id}/role",
                               {"role": "user"})
        assert last.status_code == 409 and "last active admin" in last.text
        assert 'action="/admin/team/invite"' in last.text  # the team page again
        assert _user(owner_url, admin_email)["role"] == "admin"


async def test_a_cap_above_the_company_total_is_refused_with_the_apis_message(
        app, client, owner_url):
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        rep = await invited_member(client, owner_url, admin_email, "user")
        rep_id = _user(owner_url, rep["email"])["id"]
        too_many = await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/cap",
                                   {"total_minutes": "100000"})
        assert too_many.status_code == 422
        assert "cannot be above the company&#39;s total minutes" in too_many.text
        not_a_number = await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/cap",
                                       {"total_minutes": "lots"})
        assert not_a_number.status_code == 422 and "Please correct" in not_a_number.text
        assert _caps(owner_url, rep_id) == []
        fine = await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/cap",
                               {"total_minutes": "15"})
        assert fine.status_code == 303 and _caps(owner_url, rep_id) == [(15,)]
        usage = await admin.get("/admin/usage")
        assert usage.status_code == 200 and "0 of 15" in usage.text


async def test_another_companys_user_is_not_found_and_unchanged(app, owner_url):
    async with browser_client(app) as other:
        other_email = await signed_in_browser(other, app)
    other_id = _user(owner_url, other_email)["id"]
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        for action, data in ((f"/admin/team/{other_id}/role", {"role": "user"}),
                             (f"/admin/team/{other_id}/access", {"disabled": "true"}),
                             (f"/admin/team/{other_id}/cap", {"total_minutes": "1"})):
            response = await form_post(admin, "/admin/team", action, data)
            assert response.status_code == 404, action
        bad_id = await form_post(admin, "/admin/team", "/admin/team/not-a-uuid/role",
                                 {"role": "user"})
        assert bad_id.status_code == 404
        page = await admin.get("/admin/team")
        assert other_email not in page.text
    assert _user(owner_url, other_email) == {"id": other_id, "role": "admin", "disabled": False}
    assert _caps(owner_url, other_id) == []


async def test_every_admin_form_without_the_csrf_token_is_refused(app, client, owner_url):
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        rep = await invited_member(client, owner_url, admin_email, "user")
        rep_id = _user(owner_url, rep["email"])["id"]
        await admin.get("/admin/team")
        for action, data in (("/admin/team/invite", {"email": "x@example.com", "role": "user"}),
                             (f"/admin/team/{rep_id}/role", {"role": "admin"}),
                             (f"/admin/team/{rep_id}/access", {"disabled": "true"}),
                             (f"/admin/team/{rep_id}/cap", {"total_minutes": "5"}),
                             ("/admin/billing/subscribe", {"plan_id": "starter"}),
                             ("/admin/billing/top-ups", {"pack_id": "x"}),
                             ("/admin/billing/portal", {})):
            response = await admin.post(action, data=data)
            assert response.status_code == 403, action
            assert "did not come from Pitchlab" in response.text
    assert _user(owner_url, rep["email"]) == {"id": rep_id, "role": "user", "disabled": False}
    assert _caps(owner_url, rep_id) == []


async def test_invalid_invitation_input_is_shown_again_and_nothing_is_sent(app, owner_url):
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        bad = await form_post(admin, "/admin/team", "/admin/team/invite",
                              {"email": "not-an-email", "role": "user"})
        operator = await form_post(admin, "/admin/team", "/admin/team/invite",
                                   {"email": "ok@example.com", "role": "super_admin"})
    assert bad.status_code == 422 and 'value="not-an-email"' in bad.text
    assert operator.status_code == 422
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        assert conn.execute("SELECT count(*) FROM invitations").fetchone()[0] == 0


async def test_billing_page_says_billing_is_not_configured(app):
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        page = await admin.get("/admin/billing")
        assert page.status_code == 200
        assert "Billing is not configured on this server" in page.text
        plans = (await admin.get("/api/plans")).json()["items"]
        plan_id = plans[0]["id"] if plans else "starter"
        subscribe = await form_post(admin, "/admin/billing", "/admin/billing/subscribe",
                                    {"plan_id": plan_id})
        assert subscribe.status_code in (503, 422)
        portal = await form_post(admin, "/admin/billing", "/admin/billing/portal", {})
        assert portal.status_code == 503
        assert "Billing is not configured on this server" in portal.text


async def test_the_operator_lists_companies_and_sets_a_quota(
        app, client, owner_url, monkeypatch, tmp_path):
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
    login = await signed_in_operator(client, owner_url, monkeypatch, tmp_path)
    assert login.status_code == 200
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        company_id = str(conn.execute("SELECT company_id FROM users WHERE email = %s",
                                      (admin_email,)).fetchone()[0])
    async with browser_client(app) as operator:
        await _log_in(operator, OPERATOR_EMAIL, OPERATOR_PASSWORD)
        for path in ADMIN_PAGES:  # an operator may look at them too (every company's)
            assert (await operator.get(path)).status_code == 200, path
        page = await operator.get("/operator/companies")
        assert page.status_code == 200 and f'id="company-{company_id}"' in page.text
        refused = await form_post(operator, "/operator/companies",
                                  f"/operator/companies/{company_id}/quota",
                                  {"total_minutes": "-3"})
        assert refused.status_code == 422
        done = await form_post(operator, "/operator/companies",
                               f"/operator/companies/{company_id}/quota",
                               {"total_minutes": "500"})
        assert done.status_code == 303
        again = await operator.get(done.headers["location"])
        assert "0 of 500" in again.text
        no_token = await operator.post(f"/operator/companies/{company_id}/quota",
                                       data={"total_minutes": "7"})
        assert no_token.status_code == 403
        unknown = await form_post(operator, "/operator/companies",
                                  "/operator/companies/00000000-0000-0000-0000-000000000000/quota",
                                  {"total_minutes": "5"})
        assert unknown.status_code == 404
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        total = conn.execute("SELECT total_minutes FROM minute_quotas WHERE company_id = %s"
                             " AND user_id IS NULL", (company_id,)).fetchone()[0]
    assert total == 500


async def test_the_audit_log_filters_and_pages_as_the_api_does(app, client, owner_url):
    async with browser_client(app) as admin:
        admin_email = await signed_in_browser(admin, app)
        rep = await invited_member(client, owner_url, admin_email, "user")
        rep_id = _user(owner_url, rep["email"])["id"]
        admin_id = _user(owner_url, admin_email)["id"]
        for turn in range(21):
            changed = await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/role",
                                      {"role": "admin" if turn % 2 == 0 else "user"})
            assert changed.status_code == 303
        await form_post(admin, "/admin/team", f"/admin/team/{rep_id}/cap",
                        {"total_minutes": "10"})
        first = await admin.get("/admin/audit")
        assert first.status_code == 200
        assert first.text.count("<code>user.role_changed</code>") == 19
        assert "<code>quota.changed</code>" in first.text
        older = re.search(r'href="(/admin/audit\?cursor=[^"]+)"', first.text)
        assert older, "no link to older entries"
        second = await admin.get(older.group(1).replace("&amp;", "&"))
        assert second.status_code == 200
        assert second.text.count("<code>user.role_changed</code>") == 2

        quotas = await admin.get("/admin/audit", params={"action": "quota.changed",
                                                           "actor_id": admin_id})
        assert quotas.text.count("<code>quota.changed</code>") == 1
        assert "<code>user.role_changed</code>" not in quotas.text
        nobody = await admin.get("/admin/audit", params={"actor_id": rep_id,
                                                         "action": "user.role_changed"})
        assert "No entries." in nobody.text

        bad_action = await admin.get("/admin/audit", params={"action": "everything"})
        assert bad_action.status_code == 422 and "Please correct" in bad_action.text
        bad_actor = await admin.get("/admin/audit", params={"actor_id": "not-a-uuid"})
        assert bad_actor.status_code == 422
        bad_cursor = await admin.get("/admin/audit", params={"cursor": "garbage"})
        assert bad_cursor.status_code == 422
