"""The billing page with Stripe configured (the local fake Stripe of tests/billing): subscribe,
top up and the portal send the browser to Stripe's pages, as the API's URLs say."""

from __future__ import annotations

from tests.billing.conftest import fake_stripe  # noqa: F401  (the fixture, shared)
from tests.web.helpers import browser_client, form_post, signed_in_browser


async def test_subscribe_top_up_and_portal_redirect_to_stripe(app, fake_stripe):  # noqa: F811
    async with browser_client(app) as admin:
        await signed_in_browser(admin, app)
        page = await admin.get("/admin/billing")
        assert page.status_code == 200 and "Billing is not configured" not in page.text
        plan_id = (await admin.get("/api/plans")).json()["items"][0]["id"]
        subscribed = await form_post(admin, "/admin/billing", "/admin/billing/subscribe",
                                     {"plan_id": plan_id})
        assert subscribed.status_code == 303, subscribed.text
        assert subscribed.headers["location"].startswith("http")
        assert "/admin/billing" not in subscribed.headers["location"]

        pack_id = (await admin.get("/api/billing/top-ups")).json()["items"][0]["id"]
        topped = await form_post(admin, "/admin/billing", "/admin/billing/top-ups",
                                 {"pack_id": pack_id})
        assert topped.status_code == 303 and topped.headers["location"].startswith("http")
        portal = await form_post(admin, "/admin/billing", "/admin/billing/portal", {})
        assert portal.status_code == 303 and portal.headers["location"].startswith("http")

        unknown = await form_post(admin, "/admin/billing", "/admin/billing/subscribe",
                                  {"plan_id": "no-such-plan"})
        assert unknown.status_code == 422 and 'action="/admin/billing/subscribe"' in unknown.text
