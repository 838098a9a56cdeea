"""The fake Stripe API (tests/fakes/stripe_server.py), driven through the official SDK: every
answer is one the SDK accepts and types, every delivery verifies with
``stripe.Webhook.construct_event``, and the state behaves as Stripe's does."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import stripe
import stripe.billing_portal
import stripe.checkout

from tests.fakes.http_server import serve_asgi
from tests.fakes.stripe_server import (
    FakeStripe,
    PriceChange,
    StripeError,
    add_interval,
    decode_params,
    running_fake_stripe,
)

# The SDK's httpx client hands its form body to httpx as ``data=<str>``, which httpx 0.28
# deprecates; the SDK's doing, not the fake's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes/text content.:DeprecationWarning")

API_KEY = "sk_test_fake_0123456789abcdef"
SECRET = "whsec_fake_0123456789abcdef"
DAY = 86_400


@dataclass
class Stripe:
    fake: FakeStripe
    base_url: str
    client: stripe.StripeClient
    received: list[stripe.Event]


@contextlib.asynccontextmanager
async def sdk_client(base_url: str, api_key: str = API_KEY,
                     retries: int = 0) -> AsyncIterator[stripe.StripeClient]:
    """The SDK as an async app uses it: httpx, the ``*_async`` methods."""
    http = stripe.HTTPXClient()
    try:
        yield stripe.StripeClient(api_key, base_addresses={"api": base_url}, http_client=http,
                                  max_network_retries=retries)
    finally:
        await http.close_async()


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[tuple[dict, str]]:
    """One server for the module, serving whichever fake the test put in ``current["app"]``:
    a server takes a fifth of a second to stop, a fresh fake nothing."""
    current: dict = {}

    async def app(scope, receive, send):
        await current["app"](scope, receive, send)

    async with serve_asgi(app) as base_url:
        yield current, base_url


@pytest.fixture
async def s(server) -> AsyncIterator[Stripe]:
    current, base_url = server
    fake = FakeStripe(API_KEY, SECRET, base_url=base_url)
    current["app"] = fake.app()
    async with sdk_client(base_url) as client:
        received: list[stripe.Event] = []

        async def sink(body: bytes, headers: dict[str, str]) -> int:
            received.append(stripe.Webhook.construct_event(
                body, headers["Stripe-Signature"], SECRET))
            return 200

        fake.sink = sink
        yield Stripe(fake, base_url, client, received)


async def customer(s: Stripe, **params) -> stripe.Customer:
    return await s.client.v1.customers.create_async(
        {"email": "ada@acme.test", "name": "Acme", **params})


async def monthly_price(s: Stripe, amount: int = 4900, interval: str = "month",
                        lookup_key: str | None = None) -> stripe.Price:
    params = {"currency": "usd", "unit_amount": amount, "recurring": {"interval": interval},
              "product_data": {"name": f"Plan {amount}"}}
    if lookup_key:
        params["lookup_key"] = lookup_key
    return await s.client.v1.prices.create_async(params)


async def subscribed(s: Stripe, *, trial_days: int | None = None,
                     amount: int = 4900) -> tuple[stripe.Customer, stripe.Price, str]:
    """A customer who went through Checkout: (customer, price, subscription id)."""
    cus, price = await customer(s), await monthly_price(s, amount)
    data: dict = {"metadata": {"company_id": "42"}}
    if trial_days:
        data["trial_period_days"] = trial_days
    session = await s.client.v1.checkout.sessions.create_async({
        "mode": "subscription", "customer": cus.id, "client_reference_id": "42",
        "line_items": [{"price": price.id, "quantity": 1}], "subscription_data": data,
        "success_url": "https://app.pitchlab.test/billing?done=1",
        "cancel_url": "https://app.pitchlab.test/billing"})
    completed = s.fake.complete_checkout(session.id)
    return cus, price, completed["subscription"]


def types(events: list) -> list[str]:
    return [event["type"] for event in events]


# --- the wire -------------------------------------------------------------------------------


async def test_customers_are_created_and_retrieved_in_stripes_shape(s: Stripe):
    created = await customer(s, metadata={"company_id": "42"})
    again = await s.client.v1.customers.retrieve_async(created.id)

    assert isinstance(again, stripe.Customer)
    assert created.id.startswith("cus_") and again.id == created.id
    assert (again.email, again.name, again.metadata.to_dict()) == (
        "ada@acme.test", "Acme", {"company_id": "42"})
    assert again.livemode is False and again.created == s.fake.now
    assert created.last_response.headers["request-id"].startswith("req_")
    assert s.fake.customers[created.id]["email"] == "ada@acme.test"
    [post, get] = s.fake.requests
    assert (post.method, post.path, post.params["metadata"]) == (
        "POST", "/v1/customers", {"company_id": "42"})
    assert post.stripe_version == stripe.api_version
    assert (get.method, get.path, get.idempotency_key) == ("GET", f"/v1/customers/{created.id}",
                                                          None)


async def test_a_wrong_or_missing_key_is_refused_without_echoing_it(s: Stripe):
    wrong_key = "sk_test_someone_elses_key_987"
    async with sdk_client(s.base_url, wrong_key) as other:
        with pytest.raises(stripe.AuthenticationError) as refused:
            await other.v1.customers.create_async({"email": "x@acme.test"})
    assert refused.value.http_status == 401
    assert wrong_key not in str(refused.value.json_body)
    async with httpx.AsyncClient(base_url=s.base_url) as raw:
        answer = await raw.get("/v1/customers/cus_x")
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert s.fake.customers == {}


async def test_an_unknown_id_is_a_404_resource_missing(s: Stripe):
    for retrieve in (s.client.v1.customers.retrieve_async, s.client.v1.prices.retrieve_async,
                     s.client.v1.subscriptions.retrieve_async,
                     s.client.v1.invoices.retrieve_async,
                     s.client.v1.checkout.sessions.retrieve_async):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            await retrieve("xx_nope")
        assert (missing.value.http_status, missing.value.code, missing.value.param) == (
            404, "resource_missing", "id")
        assert "No such" in missing.value.user_message


async def test_an_unknown_route_answers_as_stripe_does(s: Stripe):
    async with httpx.AsyncClient(base_url=s.base_url) as raw:
        answer = await raw.get("/v1/coupons", headers={"Authorization": f"Bearer {API_KEY}"})
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "Unrecognized request URL (GET: /v1/coupons)."


@pytest.mark.parametrize(("params", "code", "param"), [
    ({"unit_amount": 100, "product_data": {"name": "P"}}, "parameter_missing", "currency"),
    ({"currency": "usd", "unit_amount": "lots", "product_data": {"name": "P"}},
     "parameter_invalid_integer", "unit_amount"),
    ({"currency": "usd", "unit_amount": 100, "product_data": {"name": ""}},
     "parameter_invalid_empty", "product_data[name]"),
    ({"currency": "usd", "unit_amount": 100, "product_data": {"name": "P"}, "colour": "red"},
     "parameter_unknown", "colour"),
    ({"currency": "usd", "unit_amount": 100, "product": "prod_nope"}, "resource_missing",
     "product"),
    ({"currency": "usd", "unit_amount": 100, "product_data": {"name": "P"},
      "recurring": {"interval": "fortnight"}}, None, "recurring[interval]"),
])
async def test_bad_parameters_are_a_400_that_names_them_and_change_nothing(
        s: Stripe, params, code, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await s.client.v1.prices.create_async(params)
    assert (refused.value.http_status, refused.value.code, refused.value.param) == (
        400, code, param)
    assert s.fake.prices == {} and s.fake.products == {}


async def test_a_parameter_stripe_knows_but_the_fake_does_not_model_is_refused(s: Stripe):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await s.client.v1.prices.create_async({
            "currency": "usd", "unit_amount": 100, "product_data": {"name": "P"},
            "tax_behavior": "inclusive"})
    assert refused.value.param == "tax_behavior"
    assert "does not model" in refused.value.user_message


# --- prices ----------------------------------------------------------------------------------


async def test_prices_are_found_by_lookup_key_and_a_key_moves_only_when_asked(s: Stripe):
    pro = await monthly_price(s, 4900, lookup_key="pro_monthly")
    await monthly_price(s, 9900, lookup_key="team_monthly")

    found = await s.client.v1.prices.list_async({"lookup_keys": ["pro_monthly"]})
    assert [p.id for p in found.data] == [pro.id]
    assert (found.url, found.has_more) == ("/v1/prices", False)
    assert found.data[0].recurring.interval == "month" and found.data[0].type == "recurring"
    assert found.data[0].unit_amount == 4900 and str(found.data[0].unit_amount_decimal) == "4900"

    with pytest.raises(stripe.InvalidRequestError, match="already uses that lookup key"):
        await monthly_price(s, 5900, lookup_key="pro_monthly")
    moved = await s.client.v1.prices.create_async({
        "currency": "usd", "unit_amount": 5900, "recurring": {"interval": "month"},
        "product": pro.product, "lookup_key": "pro_monthly", "transfer_lookup_key": True})
    found = await s.client.v1.prices.list_async({"lookup_keys": ["pro_monthly"],
                                                 "active": True})
    assert [p.id for p in found.data] == [moved.id]
    assert (await s.client.v1.prices.retrieve_async(pro.id)).lookup_key is None
    both = await s.client.v1.prices.list_async(
        {"lookup_keys": ["pro_monthly", "team_monthly"]})
    assert len(both.data) == 2


async def test_the_brackets_of_a_hand_written_query_are_read_too(s: Stripe):
    await monthly_price(s, 4900, lookup_key="pro_monthly")
    async with httpx.AsyncClient(base_url=s.base_url,
                                 headers={"Authorization": f"Bearer {API_KEY}"}) as raw:
        answer = await raw.get("/v1/prices?lookup_keys[]=pro_monthly&active=true&limit=1")
    assert [p["lookup_key"] for p in answer.json()["data"]] == ["pro_monthly"]


# --- Checkout to an active subscription ----------------------------------------------------------


async def test_checkout_runs_from_session_to_an_active_subscription_with_signed_events(s: Stripe):
    cus, price = await customer(s), await monthly_price(s)
    session = await s.client.v1.checkout.sessions.create_async({
        "mode": "subscription", "customer": cus.id, "client_reference_id": "42",
        "line_items": [{"price": price.id, "quantity": 1}],
        "metadata": {"company_id": "42"}, "subscription_data": {"metadata": {"plan": "pro"}},
        "success_url": "https://app.pitchlab.test/ok", "cancel_url": "https://app.pitchlab.test/"})
    assert isinstance(session, stripe.checkout.Session) and session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.subscription) == (
        "open", "unpaid", None)
    assert session.url == f"{s.base_url}/c/pay/{session.id}"
    assert session.amount_total == 4900 and session.currency == "usd"
    assert s.fake.events == []

    s.fake.complete_checkout(session.id)

    session = await s.client.v1.checkout.sessions.retrieve_async(session.id)
    assert (session.status, session.payment_status) == ("complete", "paid")
    subscription = await s.client.v1.subscriptions.retrieve_async(session.subscription)
    assert isinstance(subscription, stripe.Subscription)
    assert (subscription.status, subscription.customer) == ("active", cus.id)
    assert subscription.metadata.to_dict() == {"plan": "pro"}
    [item] = subscription["items"].data
    assert isinstance(item, stripe.SubscriptionItem) and item.id.startswith("si_")
    assert (item.price.id, item.quantity) == (price.id, 1)
    assert item.current_period_start == s.fake.now
    assert item.current_period_end == add_interval(s.fake.now, "month", 1)
    assert "current_period_end" not in subscription  # on the items, in this API version

    invoice = await s.client.v1.invoices.retrieve_async(subscription.latest_invoice)
    assert invoice.id == session.invoice
    assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_create")
    assert (invoice.amount_due, invoice.amount_paid, invoice.currency) == (4900, 4900, "usd")
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.hosted_invoice_url.startswith(s.base_url)
    assert invoice.number.endswith("-0001")
    [line] = invoice.lines.data
    assert (line.period.start, line.period.end) == (item.current_period_start,
                                                    item.current_period_end)
    assert line.pricing.price_details.price == price.id

    assert types(s.fake.events) == ["customer.subscription.created", "invoice.paid",
                                    "checkout.session.completed"]
    assert await s.fake.deliver_all() == [200, 200, 200]
    assert s.fake.events == []
    created, paid, completed = s.received
    assert isinstance(created.data.object, stripe.Subscription)
    assert created.api_version == stripe.api_version and created.livemode is False
    assert paid.data.object.id == invoice.id
    assert completed.data.object.subscription == subscription.id
    assert completed.data.object.client_reference_id == "42"


async def test_a_trial_starts_trialing_with_a_zero_invoice_and_warns_before_it_ends(s: Stripe):
    _, _, subscription_id = await subscribed(s, trial_days=14)
    subscription = await s.client.v1.subscriptions.retrieve_async(subscription_id)
    assert subscription.status == "trialing"
    assert subscription.trial_end == subscription.trial_start + 14 * DAY
    assert subscription["items"].data[0].current_period_end == subscription.trial_end
    [invoice] = (await s.client.v1.invoices.list_async({"subscription": subscription_id})).data
    assert (invoice.amount_due, invoice.status) == (0, "paid")
    session = next(iter(s.fake.checkout_sessions.values()))
    assert session["payment_status"] == "no_payment_required"

    event = s.fake.trial_will_end(subscription_id)
    assert event["type"] == "customer.subscription.trial_will_end"

    renewal = s.fake.renew(subscription_id)
    subscription = await s.client.v1.subscriptions.retrieve_async(subscription_id)
    assert subscription.status == "active"
    assert (renewal["billing_reason"], renewal["amount_paid"]) == ("subscription_cycle", 4900)


async def test_payment_mode_checkout_completes_with_a_payment_intent(s: Stripe):
    cus = await customer(s)
    pack = await s.client.v1.prices.create_async({
        "currency": "usd", "unit_amount": 1900, "product_data": {"name": "100 minutes"}})
    session = await s.client.v1.checkout.sessions.create_async({
        "mode": "payment", "customer": cus.id, "line_items": [{"price": pack.id, "quantity": 2}],
        "metadata": {"pack_id": "minutes_100"}, "success_url": "https://app.pitchlab.test/ok"})
    assert session.amount_total == 3800

    completed = s.fake.complete_checkout(session.id)

    assert (completed["status"], completed["payment_status"]) == ("complete", "paid")
    assert completed["payment_intent"].startswith("pi_") and completed["subscription"] is None
    assert types(s.fake.events) == ["checkout.session.completed"]
    assert s.fake.subscriptions == {} and s.fake.invoices == {}
    with pytest.raises(ValueError, match="not open"):
        s.fake.complete_checkout(session.id)


async def test_checkout_refuses_prices_that_do_not_fit_its_mode(s: Stripe):
    monthly = await monthly_price(s)
    one_time = await s.client.v1.prices.create_async({
        "currency": "usd", "unit_amount": 1900, "product_data": {"name": "Pack"}})
    for mode, price in (("payment", monthly), ("subscription", one_time)):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            await s.client.v1.checkout.sessions.create_async({
                "mode": mode, "line_items": [{"price": price.id, "quantity": 1}]})
        assert refused.value.param == "line_items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await s.client.v1.checkout.sessions.create_async({
            "mode": "subscription", "line_items": [{"price": monthly.id}]})
    assert (refused.value.code, refused.value.param) == ("parameter_missing",
                                                         "line_items[0][quantity]")
    assert s.fake.checkout_sessions == {}


# --- the life of a subscription -----------------------------------------------------------------


async def test_a_renewal_pays_the_next_period_on_the_items_and_lines(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    first_period = s.fake.subscriptions[subscription_id]["items"]["data"][0]
    ended = (first_period["current_period_start"], first_period["current_period_end"])
    s.fake.take_events()

    invoice = s.fake.renew(subscription_id)

    assert s.fake.now == ended[1]
    subscription = await s.client.v1.subscriptions.retrieve_async(subscription_id)
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (
        ended[1], add_interval(ended[0], "month", 2))
    assert subscription.latest_invoice == invoice["id"]
    assert (invoice["billing_reason"], invoice["status"]) == ("subscription_cycle", "paid")
    # Stripe's invoice period is the usage period that just ended; the paid period is the line's.
    assert (invoice["period_start"], invoice["period_end"]) == ended
    assert invoice["lines"]["data"][0]["period"] == {"start": ended[1],
                                                     "end": item.current_period_end}
    updated, paid = s.fake.take_events()
    assert (updated["type"], paid["type"]) == ("customer.subscription.updated", "invoice.paid")
    previous = updated["data"]["previous_attributes"]
    assert previous["items"]["data"][0]["current_period_end"] == ended[1]
    assert previous["latest_invoice"] != invoice["id"]


async def test_a_failed_renewal_leaves_the_subscription_past_due_until_paid(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    s.fake.take_events()

    invoice = s.fake.fail_renewal(subscription_id)

    assert (invoice["status"], invoice["attempt_count"], invoice["amount_paid"]) == (
        "open", 1, 0)
    assert s.fake.subscriptions[subscription_id]["status"] == "past_due"
    failed, updated = s.fake.take_events()
    assert failed["type"] == "invoice.payment_failed"
    assert updated["data"]["previous_attributes"]["status"] == "active"

    s.fake.pay_invoice(invoice["id"])

    retrieved = await s.client.v1.invoices.retrieve_async(invoice["id"])
    assert (retrieved.status, retrieved.amount_paid) == ("paid", 4900)
    assert s.fake.subscriptions[subscription_id]["status"] == "active"
    assert types(s.fake.take_events()) == ["invoice.paid", "customer.subscription.updated"]


async def test_a_price_change_through_the_api_moves_the_item_and_is_recorded(s: Stripe):
    _, old_price, subscription_id = await subscribed(s)
    new_price = await monthly_price(s, 9900)
    item_id = s.fake.subscriptions[subscription_id]["items"]["data"][0]["id"]
    s.fake.take_events()

    updated = await s.client.v1.subscriptions.update_async(subscription_id, {
        "items": [{"id": item_id, "price": new_price.id}],
        "proration_behavior": "create_prorations"})

    assert updated["items"].data[0].price.id == new_price.id
    assert updated["items"].data[0].id == item_id
    assert s.fake.price_changes == [PriceChange(subscription_id, item_id, old_price.id,
                                                new_price.id, "create_prorations")]
    [event] = s.fake.take_events()
    assert event["type"] == "customer.subscription.updated"
    previous_item = event["data"]["previous_attributes"]["items"]["data"][0]
    assert previous_item["price"]["id"] == old_price.id
    assert event["request"]["id"] is not None and event["request"]["idempotency_key"]


async def test_always_invoice_bills_the_difference_at_once(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    new_price = await monthly_price(s, 9900)
    item_id = s.fake.subscriptions[subscription_id]["items"]["data"][0]["id"]
    s.fake.take_events()

    await s.client.v1.subscriptions.update_async(subscription_id, {
        "items": [{"id": item_id, "price": new_price.id}],
        "proration_behavior": "always_invoice"})

    updated, paid = s.fake.take_events()
    assert (updated["type"], paid["type"]) == ("customer.subscription.updated", "invoice.paid")
    invoice = paid["data"]["object"]
    assert invoice["billing_reason"] == "subscription_update"
    credit, charge = invoice["lines"]["data"]
    assert credit["amount"] == -4900 and charge["amount"] == 9900  # the whole period unused
    assert credit["pricing"]["price_details"]["price"] != new_price.id
    assert invoice["amount_paid"] == 5000


async def test_a_change_to_a_yearly_price_restarts_the_period_and_bills_it(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    yearly = await monthly_price(s, 49000, interval="year")
    item_id = s.fake.subscriptions[subscription_id]["items"]["data"][0]["id"]
    s.fake.advance(10 * DAY)

    updated = await s.client.v1.subscriptions.update_async(subscription_id, {
        "items": [{"id": item_id, "price": yearly.id}]})

    item = updated["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (
        s.fake.now, add_interval(s.fake.now, "year", 1))
    invoice = s.fake.invoices[updated.latest_invoice]
    assert invoice["lines"]["data"][-1]["amount"] == 49000


async def test_a_bad_update_changes_nothing(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    before = json.dumps(s.fake.subscriptions[subscription_id])
    s.fake.take_events()
    for params in ({"items": [{"id": "si_nope", "price": "price_x"}]},
                   {"cancel_at_period_end": True, "proration_behavior": "sometimes"},
                   {"metadata": {"a": "b"}, "items": [{"price": "price_x"}]}):
        with pytest.raises(stripe.InvalidRequestError):
            await s.client.v1.subscriptions.update_async(subscription_id, params)
    assert json.dumps(s.fake.subscriptions[subscription_id]) == before
    assert s.fake.events == []


async def test_cancel_at_period_end_ends_the_subscription_at_renewal(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    s.fake.take_events()

    scheduled = await s.client.v1.subscriptions.update_async(
        subscription_id, {"cancel_at_period_end": True, "metadata": {"reason": "budget"}})

    period_end = scheduled["items"].data[0].current_period_end
    assert (scheduled.cancel_at_period_end, scheduled.cancel_at, scheduled.status) == (
        True, period_end, "active")
    assert scheduled.metadata.to_dict() == {"company_id": "42", "reason": "budget"}
    [updated] = s.fake.take_events()
    assert updated["data"]["previous_attributes"]["cancel_at_period_end"] is False

    s.fake.renew(subscription_id)

    ended = await s.client.v1.subscriptions.retrieve_async(subscription_id)
    assert (ended.status, ended.ended_at) == ("canceled", period_end)
    assert types(s.fake.take_events()) == ["customer.subscription.deleted"]
    assert len(s.fake.invoices) == 1


async def test_cancel_now_through_the_api_and_the_control(s: Stripe):
    _, _, first = await subscribed(s)
    _, _, second = await subscribed(s)
    s.fake.take_events()
    s.fake.advance(DAY)

    canceled = await s.client.v1.subscriptions.cancel_async(first)
    s.fake.cancel(second)

    for subscription_id in (first, second):
        retrieved = await s.client.v1.subscriptions.retrieve_async(subscription_id)
        assert (retrieved.status, retrieved.ended_at, retrieved.canceled_at) == (
            "canceled", s.fake.now, s.fake.now)
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert types(s.fake.take_events()) == ["customer.subscription.deleted"] * 2
    with pytest.raises(stripe.InvalidRequestError):
        await s.client.v1.subscriptions.cancel_async(first)
    with pytest.raises(stripe.InvalidRequestError, match="canceled subscription"):
        await s.client.v1.subscriptions.update_async(first, {"cancel_at_period_end": False})
    with pytest.raises(ValueError, match="canceled"):
        s.fake.renew(first)


async def test_cancel_at_period_end_by_the_control(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    s.fake.take_events()
    s.fake.cancel(subscription_id, at_period_end=True)
    assert s.fake.subscriptions[subscription_id]["cancel_at_period_end"] is True
    assert types(s.fake.take_events()) == ["customer.subscription.updated"]


# --- invoices and the portal --------------------------------------------------------------------


async def test_invoices_list_newest_first_with_stripes_cursors(s: Stripe):
    cus, _, subscription_id = await subscribed(s)
    for _ in range(4):
        s.fake.renew(subscription_id)
    await subscribed(s)  # another customer's invoice, never listed below
    newest_first = [invoice["id"] for invoice in reversed(s.fake.invoices.values())
                    if invoice["customer"] == cus.id]

    page = await s.client.v1.invoices.list_async({"customer": cus.id, "limit": 2})
    assert [i.id for i in page.data] == newest_first[:2] and page.has_more
    assert page.url == "/v1/invoices"
    walked = [invoice.id async for invoice in page.auto_paging_iter()]
    assert walked == newest_first
    after = await s.client.v1.invoices.list_async({"customer": cus.id,
                                                   "starting_after": newest_first[3]})
    assert [i.id for i in after.data] == newest_first[4:] and not after.has_more
    before = await s.client.v1.invoices.list_async({"customer": cus.id, "limit": 2,
                                                    "ending_before": newest_first[3]})
    assert [i.id for i in before.data] == newest_first[1:3] and before.has_more
    by_subscription = await s.client.v1.invoices.list_async({"subscription": subscription_id})
    assert [i.id for i in by_subscription.data] == newest_first
    with pytest.raises(stripe.InvalidRequestError):
        await s.client.v1.invoices.list_async({"limit": 101})


async def test_a_billing_portal_session_for_a_customer(s: Stripe):
    cus = await customer(s)
    portal = await s.client.v1.billing_portal.sessions.create_async({
        "customer": cus.id, "return_url": "https://app.pitchlab.test/billing"})
    assert isinstance(portal, stripe.billing_portal.Session) and portal.id.startswith("bps_")
    assert (portal.customer, portal.return_url) == (cus.id, "https://app.pitchlab.test/billing")
    assert portal.url.startswith(s.base_url)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        await s.client.v1.billing_portal.sessions.create_async({"customer": "cus_nope"})
    assert (refused.value.code, refused.value.param) == ("resource_missing", "customer")


async def test_expand_replaces_ids_by_their_objects(s: Stripe):
    _, _, subscription_id = await subscribed(s)
    session_id = next(iter(s.fake.checkout_sessions))
    session = await s.client.v1.checkout.sessions.retrieve_async(
        session_id, {"expand": ["subscription.latest_invoice", "customer"]})
    assert isinstance(session.subscription, stripe.Subscription)
    assert isinstance(session.subscription.latest_invoice, stripe.Invoice)
    assert isinstance(session.customer, stripe.Customer)
    invoices = await s.client.v1.invoices.list_async(
        {"subscription": subscription_id, "expand": ["data.customer"]})
    assert isinstance(invoices.data[0].customer, stripe.Customer)
    subscription = await s.client.v1.subscriptions.retrieve_async(
        subscription_id, {"expand": ["items.data.price.product"]})
    assert subscription["items"].data[0].price.product.name == "Plan 4900"
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        await s.client.v1.subscriptions.retrieve_async(subscription_id, {"expand": ["nope"]})


# --- idempotency and failures ----------------------------------------------------------------


async def test_the_same_idempotency_key_replays_the_first_answer_and_creates_nothing(s: Stripe):
    params = {"email": "ada@acme.test", "metadata": {"company_id": "42"}}
    first = await s.client.v1.customers.create_async(params, {"idempotency_key": "cus-42"})
    again = await s.client.v1.customers.create_async(params, {"idempotency_key": "cus-42"})

    assert again.id == first.id and len(s.fake.customers) == 1
    assert again.last_response.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.last_response.headers
    with pytest.raises(stripe.IdempotencyError):
        await s.client.v1.customers.create_async({"email": "eve@acme.test"},
                                                 {"idempotency_key": "cus-42"})
    assert [r.idempotency_key for r in s.fake.requests] == ["cus-42"] * 3
    assert len(s.fake.customers) == 1


async def test_an_injected_server_error_takes_no_effect(s: Stripe):
    s.fake.fail_next(count=2, status=500)
    for _ in range(2):
        with pytest.raises(stripe.APIError) as failed:
            await customer(s)
        assert failed.value.http_status == 500
        assert failed.value.json_body["error"]["type"] == "api_error"
    assert s.fake.customers == {}
    assert (await customer(s)).id in s.fake.customers


async def test_a_dropped_connection_is_a_connection_error_and_a_retry_is_safe(s: Stripe):
    params = {"email": "ada@acme.test"}
    s.fake.fail_next(1, status=None)
    with pytest.raises(stripe.APIConnectionError):
        await s.client.v1.customers.create_async(params, {"idempotency_key": "k1"})
    assert s.fake.customers == {}

    s.fake.fail_next(1, status=None, processed=True)  # done, then the answer is lost
    with pytest.raises(stripe.APIConnectionError):
        await s.client.v1.customers.create_async(params, {"idempotency_key": "k1"})
    [created] = s.fake.customers
    retried = await s.client.v1.customers.create_async(params, {"idempotency_key": "k1"})
    assert retried.id == created and len(s.fake.customers) == 1


async def test_the_sdks_own_retries_reuse_their_idempotency_key(s: Stripe, monkeypatch):
    # The SDK backs off before a retry (half a second at first): not in a test.
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)
    s.fake.fail_next(1, status=None, processed=True)
    async with sdk_client(s.base_url, retries=1) as retrying:
        created = await retrying.v1.customers.create_async({"email": "ada@acme.test"})
    assert list(s.fake.customers) == [created.id]
    first, second = s.fake.requests
    assert first.idempotency_key == second.idempotency_key is not None


async def test_running_fake_stripe_serves_the_module_level_api_base(monkeypatch):
    async with running_fake_stripe("sk_test_module_level", "whsec_x") as (fake, base_url):
        monkeypatch.setattr(stripe, "api_base", base_url)
        monkeypatch.setattr(stripe, "api_key", "sk_test_module_level")
        monkeypatch.setattr(stripe, "max_network_retries", 0)
        # The synchronous SDK blocks its thread: off the loop that serves the fake.
        created = await asyncio.to_thread(stripe.Customer.create, email="ada@acme.test")
        price = await stripe.Price.create_async(currency="usd", unit_amount=900,
                                                product_data={"name": "P"}, lookup_key="k")
        found = await stripe.Price.list_async(lookup_keys=["k"])
    assert created.id in fake.customers and fake.base_url == base_url
    assert [p.id for p in found.data] == [price.id]


# --- deliveries -------------------------------------------------------------------------------


async def test_deliveries_are_signed_and_a_tampered_or_stale_one_is_not(s: Stripe):
    await subscribed(s)
    event = s.fake.events[0]
    body, headers = s.fake.signed(event)
    assert body.decode() == json.dumps(event, indent=2)
    assert stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET).id == (
        event["id"])
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace(b"active", b"Active"),
                                       headers["Stripe-Signature"], SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], "whsec_other")
    old_body, old_headers = s.fake.signed(event, timestamp=s.fake.now - 301)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(old_body, old_headers["Stripe-Signature"], SECRET,
                                       tolerance=300)


async def test_an_event_can_be_taken_reordered_and_delivered_again(s: Stripe):
    await subscribed(s)
    created, paid, completed = s.fake.take_events()
    assert s.fake.events == []

    assert await s.fake.deliver(completed) == [200]
    assert await s.fake.deliver(created, times=3) == [200, 200, 200]
    statuses = await asyncio.gather(*(s.fake.deliver(paid) for _ in range(5)))

    assert statuses == [[200]] * 5
    assert [e.id for e in s.received[:4]] == [completed["id"]] + [created["id"]] * 3
    assert s.fake.deliveries.count((paid["id"], 200)) == 5
    assert len(s.fake.event_log) == 3


async def test_the_sinks_status_is_reported(s: Stripe):
    async def refusing(body: bytes, headers: dict[str, str]) -> int:
        return 500

    s.fake.sink = refusing
    await subscribed(s)
    assert await s.fake.deliver_all() == [500, 500, 500]
    assert [status for _, status in s.fake.deliveries] == [500, 500, 500]


# --- shapes -----------------------------------------------------------------------------------

RESOURCE_FIELDS = {"items": stripe.SubscriptionItem, "lines": stripe.InvoiceLineItem,
                   "price": stripe.Price, "plan": stripe.Plan}


def undeclared(obj: dict, cls: type, path: str = "") -> list[str]:
    """Fields of ``obj`` that the pinned SDK's class does not declare (nested classes too)."""
    found = []
    for key, value in obj.items():
        if key not in cls.__annotations__:
            found.append(path + key)
            continue
        inner = getattr(cls, "_inner_class_types", {}).get(key) or RESOURCE_FIELDS.get(key)
        if inner is None or not isinstance(value, (dict, list)):
            continue
        if isinstance(value, dict) and value.get("object") == "list":
            value = value["data"]
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, dict):
                found += undeclared(child, inner, f"{path}{key}.")
    return found


async def test_every_field_the_fake_sends_is_one_the_pinned_api_version_has(s: Stripe):
    cus, _, subscription_id = await subscribed(s, trial_days=7)
    s.fake.fail_renewal(subscription_id)
    portal = await s.client.v1.billing_portal.sessions.create_async({"customer": cus.id})
    subscription = s.fake.subscriptions[subscription_id]
    checks = [(s.fake.customers[cus.id], stripe.Customer),
              (subscription, stripe.Subscription),
              (next(iter(s.fake.checkout_sessions.values())), stripe.checkout.Session),
              (next(iter(s.fake.products.values())), stripe.Product),
              (portal.to_dict(), stripe.billing_portal.Session),
              *((event, stripe.Event) for event in s.fake.events),
              *((invoice, stripe.Invoice) for invoice in s.fake.invoices.values())]
    for obj, cls in checks:
        assert undeclared(obj, cls) == [], cls.__name__
    for obj, _ in checks:
        assert obj["livemode"] is False and obj["id"] and obj["object"]
    assert subscription["items"]["data"][0]["price"]["object"] == "price"
    assert set(stripe.Event.__annotations__) - {"OBJECT_NAME", "account", "context"} <= set(
        s.fake.events[0])


# --- the pieces ----------------------------------------------------------------------------------


def test_form_parameters_nest_by_brackets():
    assert decode_params([
        ("items[0][id]", "si_1"), ("items[0][price]", "price_2"), ("metadata[a]", ""),
        ("expand[]", "customer"), ("expand[]", "latest_invoice"), ("lookup_keys[1]", "b"),
        ("lookup_keys[0]", "a"), ("email", "x@y.z"),
    ]) == {"items": [{"id": "si_1", "price": "price_2"}], "metadata": {"a": ""},
           "expand": ["customer", "latest_invoice"], "lookup_keys": ["a", "b"],
           "email": "x@y.z"}
    for bad in ([("a[b]", "1"), ("a[b][c]", "2")], [("a[]b", "1")], [("a[][b]", "1")]):
        with pytest.raises(StripeError):
            decode_params(bad)


@pytest.mark.parametrize(("start", "interval", "count", "end"), [
    ("2027-01-31", "month", 1, "2027-02-28"),
    ("2028-01-31", "month", 1, "2028-02-29"),
    ("2027-01-31", "month", 2, "2027-03-31"),
    ("2027-11-15", "month", 3, "2028-02-15"),
    ("2028-02-29", "year", 1, "2029-02-28"),
    ("2027-05-01", "week", 2, "2027-05-15"),
])
def test_a_billing_interval_keeps_the_day_of_the_month(start, interval, count, end):
    from datetime import UTC, datetime

    def ts(day: str) -> int:
        return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())

    assert add_interval(ts(start), interval, count) == ts(end)
