"""GET/PATCH /api/admin/company: a company admin reads and sets the company's retention and
leaderboard; reps and operators are refused; the retention it sets is the one the purge uses."""

from __future__ import annotations

from datetime import UTC, datetime

from pitchlab.deps import context_of
from pitchlab.feedback.service import purge_expired
from tests.admin.helpers import company, operator
from tests.auth.helpers import bearer
from tests.feedback.test_retention import age_call, finished_call

PATH = "/api/admin/company"


async def test_an_admin_reads_the_default_then_sets_the_companys_own(client, app, owner_url):
    acme = await company(client, app, owner_url)
    default = context_of(app).settings.retention_days
    read = await client.get(PATH, headers=bearer(acme.admin))
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["id"] == acme.id
    assert (body["retention_days"], body["retention_days_is_default"]) == (default, True)
    assert body["leaderboard_enabled"] is False and body["trial_expires_at"]

    changed = await client.patch(PATH, headers=bearer(acme.admin),
                                 json={"retention_days": 30, "leaderboard_enabled": True})
    assert changed.status_code == 200, changed.text
    assert changed.json() | {"trial_expires_at": None} == body | {
        "retention_days": 30, "retention_days_is_default": False, "leaderboard_enabled": True,
        "trial_expires_at": None}
    untouched = await client.patch(PATH, headers=bearer(acme.admin), json={})
    assert untouched.json()["retention_days"] == 30


async def test_bad_values_are_422_and_change_nothing(client, app, owner_url):
    acme = await company(client, app, owner_url)
    for bad in ({"retention_days": 0}, {"retention_days": 3651}, {"retention_days": "ten"},
                {"name": "Renamed"}, {"leaderboard_enabled": "maybe"}):
        refused = await client.patch(PATH, headers=bearer(acme.admin), json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    assert (await client.get(PATH, headers=bearer(acme.admin))).json()[
        "retention_days_is_default"] is True


async def test_reps_and_operators_are_refused(client, app, owner_url, monkeypatch, tmp_path):
    acme = await company(client, app, owner_url)
    operator_tokens = await operator(client, owner_url, monkeypatch, tmp_path)
    for tokens in (acme.rep, operator_tokens):
        assert (await client.get(PATH, headers=bearer(tokens))).status_code == 403
        patched = await client.patch(PATH, headers=bearer(tokens), json={"retention_days": 1})
        assert patched.status_code == 403
    assert (await client.get(PATH)).status_code == 401
    assert (await client.get(PATH, headers=bearer(acme.admin))).json()[
        "retention_days_is_default"] is True


async def test_each_admin_changes_only_their_own_company_and_the_purge_follows(
    client, app, owner_url
):
    acme, globex = await company(client, app, owner_url), await company(client, app, owner_url)
    calls = {}
    for name, tokens in (("acme", acme.admin), ("globex", globex.admin)):
        await client.post("/api/users/me/consents", headers=bearer(tokens), json={
            "kind": "voice_recording", "granted": True, "version": "v1"})
        calls[name] = await finished_call(client, app, tokens)
        age_call(owner_url, calls[name], 8)
    await client.patch(PATH, headers=bearer(acme.admin), json={"retention_days": 7})
    assert (await client.get(PATH, headers=bearer(globex.admin))).json()[
        "retention_days_is_default"] is True
    context = context_of(app)
    # acme's 7 days take its 8-day-old call's transcript and report; globex keeps the default
    assert await purge_expired(context.database, context.settings.retention_days,
                               datetime.now(UTC)) == 2
    for name, tokens in (("acme", acme.admin), ("globex", globex.admin)):
        transcript = await client.get(f"/api/sessions/{calls[name]}/transcript",
                                      headers=bearer(tokens))
        assert transcript.status_code == (404 if name == "acme" else 200), name
