"""A local, stateful stand-in for the part of Stripe's v1 API that Pitchlab calls, and Stripe's
webhook deliveries, so that the official ``stripe`` SDK runs against it (``stripe.api_base`` or
``StripeClient(base_addresses={"api": url})``).

Covered, in the shapes of the SDK's pinned API version (``stripe.api_version``; Stripe's
``openapi/fixtures3.json`` is the reference): customers (create, retrieve), prices (create with
a product or ``product_data``, retrieve, list by ``lookup_keys``), Checkout Sessions in
``subscription`` and ``payment`` mode (create, retrieve), subscriptions (retrieve, update:
price, quantity, ``cancel_at_period_end``, metadata; cancel), Billing Portal sessions (create),
invoices (retrieve, list newest first with Stripe's cursors). The wire is Stripe's: form bodies
with bracket nesting, ``Authorization: Bearer``, Stripe's error body, ``Idempotency-Key`` with
replay, ``expand[]``.

Time is the fake's own (``now``, ``advance``). What a customer or Stripe's scheduler would do is
a Python call (``complete_checkout``, ``renew``, ``fail_renewal``, ``pay_invoice``, ``cancel``,
``trial_will_end``); every state change appends a full event to ``events``, and the deliveries
are signed like Stripe's and handed to ``sink``.

Two of Stripe's semantics on purpose, because code that ignores them breaks in production:
an invoice's ``period_start``/``period_end`` is its *usage* period (the first invoice: both its
creation time; a renewal: the period that just ended), while the period being paid for is on
its lines (``lines.data[i].period``) and on the subscription *items*
(``current_period_start/end``); and an invoice names its subscription only in
``parent.subscription_details.subscription``.

Deliberately not modelled: payment methods and intents (a completed payment is a ``pi_`` id),
taxes, discounts, coupons, the pending proration items of ``create_prorations`` (no invoice
carries them), test clocks, ``setup`` mode, events for customers, products and prices, and
Stripe's automatic retries of failed deliveries (redeliver with ``deliver``). A parameter that
Stripe knows but the fake does not model is refused with a 400 that says so, never ignored.
"""

from __future__ import annotations

import calendar
import contextlib
import copy
import hashlib
import hmac
import json
import re
import secrets
import string
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import stripe
import stripe.params as sp
import stripe.params.billing_portal as portal_params
import stripe.params.checkout as checkout_params
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.http_server import serve_asgi

Obj = dict[str, Any]
Sink = Callable[[bytes, dict[str, str]], Awaitable[int]]

# ---------------------------------------------------------------------------------------------
# The wire: errors, parameters, ids, time
# ---------------------------------------------------------------------------------------------


class StripeError(Exception):
    """An answer in Stripe's error body: ``{"error": {"type", "message", "code"?, "param"?}}``."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 param: str | None = None, type: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.type = (
            status, message, code, param, type)

    def body(self) -> Obj:
        error: Obj = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(404 if param == "id" else 400, f"No such {kind}: '{object_id}'",
                       code="resource_missing", param=param)


_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_params(pairs: Iterable[tuple[str, str]]) -> Obj:
    """Stripe's form encoding: ``a[b][0][c]=v`` nests; ``a[]=v`` appends; a map whose keys are
    all indexes is an array."""
    root: Obj = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise StripeError(400, f"Invalid parameter name: {key}", param=key)
        *parents, last = [match[1], *re.findall(r"\[([^\[\]]*)\]", match[2])]
        node = root
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict) or part == "":
                raise StripeError(400, f"Invalid nesting of parameter {key}", param=key)
        if isinstance(node.get(last), dict):
            raise StripeError(400, f"Invalid nesting of parameter {key}", param=key)
        node[str(len(node)) if last == "" else last] = value
    return _arrays(root)


def _arrays(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _arrays(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def _string(value: Any, label: str, *, required: bool = False) -> str | None:
    if value is None and required:
        raise StripeError(400, f"Missing required param: {label}.", code="parameter_missing",
                          param=label)
    if value == "" and required:
        raise StripeError(400, f"You passed an empty string for '{label}'. We assume empty "
                          f"values are an attempt to unset a parameter; however '{label}' "
                          "cannot be unset.", code="parameter_invalid_empty", param=label)
    if value is not None and not isinstance(value, str):
        raise StripeError(400, f"Invalid string: {value!r}", param=label)
    return value or None


def _integer(value: Any, label: str, *, required: bool = False, low: int | None = None,
             high: int | None = None) -> int | None:
    text = _string(value, label, required=required)
    if text is None:
        return None
    if not re.fullmatch(r"-?\d+", text):
        raise StripeError(400, f"Invalid integer: {text}", code="parameter_invalid_integer",
                          param=label)
    number = int(text)
    if (low is not None and number < low) or (high is not None and number > high):
        raise StripeError(400, f"Invalid integer: {label} must be between {low} and {high}",
                          code="parameter_invalid_integer", param=label)
    return number


def _boolean(value: Any, label: str) -> bool | None:
    text = _string(value, label)
    if text not in (None, "true", "false"):
        raise StripeError(400, f"Invalid boolean: {text}", param=label)
    return None if text is None else text == "true"


def _choice(value: Any, label: str, choices: Iterable[str], *,
            required: bool = False) -> str | None:
    text = _string(value, label, required=required)
    if text is not None and text not in choices:
        raise StripeError(400, f"Invalid {label}: must be one of {', '.join(choices)}",
                          param=label)
    return text


def _list(value: Any, label: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StripeError(400, f"Invalid array: {label}", param=label)
    return value


def _metadata(value: Any, current: dict[str, str] | None = None) -> dict[str, str]:
    """Stripe's rules: keys merge into what is there, an empty value deletes its key, and an
    empty ``metadata`` clears them all."""
    merged = dict(current or {})
    if value == "":
        return {}
    if value is None:
        return merged
    if not isinstance(value, dict):
        raise StripeError(400, "Invalid metadata: must be a hash", param="metadata")
    for key, item in value.items():
        if not isinstance(item, str) or len(key) > 40 or len(item) > 500:
            raise StripeError(400, f"Invalid metadata[{key}]", param=f"metadata[{key}]")
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    if len(merged) > 50:
        raise StripeError(400, "Metadata can have at most 50 keys.", param="metadata")
    return merged


_ALPHANUMERIC = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def add_interval(timestamp: int, interval: str, count: int) -> int:
    """``timestamp`` moved by ``count`` intervals; a month keeps its day, clamped to the month's
    end (Jan 31 + 1 month = Feb 28/29), as Stripe's billing cycle does."""
    if interval in ("day", "week"):
        return timestamp + count * 86_400 * (7 if interval == "week" else 1)
    start = datetime.fromtimestamp(timestamp, UTC)
    months = start.month - 1 + count * (12 if interval == "year" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def _nulls(names: str) -> Obj:
    """Fields of Stripe's object that the fake never sets: present, and null."""
    return dict.fromkeys(names.split(), None)


def _names(params_type: Any) -> frozenset[str]:
    """The parameters the pinned SDK knows for an endpoint (its TypedDict), without the SDK's
    own request options."""
    keys = params_type.__required_keys__ | params_type.__optional_keys__
    options = stripe.RequestOptions.__required_keys__ | stripe.RequestOptions.__optional_keys__
    return frozenset(keys - options)


# ---------------------------------------------------------------------------------------------
# Records a test can look at
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StripeRequest:
    method: str
    path: str
    params: Obj
    idempotency_key: str | None
    stripe_version: str | None


@dataclass(frozen=True)
class PriceChange:
    subscription: str
    item: str
    from_price: str
    to_price: str
    proration_behavior: str


@dataclass
class _Failure:
    status: int | None  # None: the connection is dropped
    processed: bool  # True: the request takes effect, and then its answer is lost


@dataclass
class _Call:
    request_id: str
    idempotency_key: str | None
    params: Obj
    path_params: dict[str, str]


@dataclass(frozen=True)
class _Stored:
    fingerprint: tuple[str, str, str]
    body: bytes
    request_id: str


class _DroppedConnection(Response):
    """Headers that promise a body which never comes: the server closes the connection and the
    client sees it cut mid-answer (uvicorn logs "returned without completing response")."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"1")]})


# ---------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------

PRORATION_BEHAVIORS = ("create_prorations", "none", "always_invoice")
LIVE_STATUSES = ("active", "trialing", "past_due")
# Parameters Stripe knows that change nothing the fake models (display and checkout-page
# options): accepted and ignored.
_COSMETIC_CHECKOUT = frozenset({
    "allow_promotion_codes", "billing_address_collection", "consent_collection",
    "custom_text", "customer_update", "locale", "payment_method_types",
    "phone_number_collection", "submit_type", "tax_id_collection"})


@dataclass
class FakeStripe:
    api_key: str
    webhook_secret: str
    base_url: str = "http://fake-stripe.invalid"  # set by running_fake_stripe: Checkout URLs
    now: int = field(default_factory=lambda: int(time.time()))
    sink: Sink | None = None
    customers: dict[str, Obj] = field(default_factory=dict)
    products: dict[str, Obj] = field(default_factory=dict)
    prices: dict[str, Obj] = field(default_factory=dict)
    checkout_sessions: dict[str, Obj] = field(default_factory=dict)
    subscriptions: dict[str, Obj] = field(default_factory=dict)
    invoices: dict[str, Obj] = field(default_factory=dict)
    portal_sessions: dict[str, Obj] = field(default_factory=dict)
    events: list[Obj] = field(default_factory=list)  # not yet delivered
    event_log: list[Obj] = field(default_factory=list)  # every event, delivered or not
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (event id, status)
    requests: list[StripeRequest] = field(default_factory=list)
    price_changes: list[PriceChange] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _idempotent: dict[str, _Stored] = field(default_factory=dict)
    _orders: dict[str, Obj] = field(default_factory=dict)  # a Checkout Session's line items

    def advance(self, seconds: int) -> int:
        self.now += seconds
        return self.now

    def fail_next(self, count: int = 1, status: int | None = 500, *,
                  processed: bool = False) -> None:
        """The next ``count`` API calls answer ``status`` with Stripe's ``api_error`` body, or,
        with ``status=None``, have their connection dropped. With ``processed=True`` the call
        takes effect first (objects, events, idempotent result) and only its answer is lost."""
        self._failures.extend(_Failure(status, processed) for _ in range(count))

    # --- HTTP ---------------------------------------------------------------------------------

    def app(self) -> Starlette:
        def route(path: str, method: str, handler: Callable[[_Call], Obj], params_type: Any,
                  models: Iterable[str] = ()) -> Route:
            known, accepted = _names(params_type), frozenset({"expand", *models})

            async def endpoint(request: Request) -> Response:
                return await self._serve(request, handler, known, accepted)
            return Route(path, endpoint, methods=[method])

        return Starlette(routes=[
            route("/v1/customers", "POST", self._create_customer, sp.CustomerCreateParams,
                  {"email", "name", "description", "phone", "metadata"}),
            route("/v1/customers/{id}", "GET", self._retrieve(self.customers, "customer"),
                  sp.CustomerRetrieveParams),
            route("/v1/prices", "POST", self._create_price, sp.PriceCreateParams,
                  {"currency", "unit_amount", "recurring", "product", "product_data",
                   "lookup_key", "transfer_lookup_key", "nickname", "active", "metadata"}),
            route("/v1/prices", "GET", self._list_prices, sp.PriceListParams,
                  {"lookup_keys", "active", "product", "type", "currency", "limit",
                   "starting_after", "ending_before"}),
            route("/v1/prices/{id}", "GET", self._retrieve(self.prices, "price"),
                  sp.PriceRetrieveParams),
            route("/v1/checkout/sessions", "POST", self._create_checkout,
                  checkout_params.SessionCreateParams,
                  {"mode", "customer", "customer_email", "line_items", "success_url",
                   "cancel_url", "client_reference_id", "metadata", "subscription_data",
                   *_COSMETIC_CHECKOUT}),
            route("/v1/checkout/sessions/{id}", "GET",
                  self._retrieve(self.checkout_sessions, "checkout.session"),
                  checkout_params.SessionRetrieveParams),
            route("/v1/subscriptions/{id}", "GET",
                  self._retrieve(self.subscriptions, "subscription"),
                  sp.SubscriptionRetrieveParams),
            route("/v1/subscriptions/{id}", "POST", self._update_subscription,
                  sp.SubscriptionUpdateParams,
                  {"items", "proration_behavior", "cancel_at_period_end", "metadata",
                   "payment_behavior"}),
            route("/v1/subscriptions/{id}", "DELETE", self._delete_subscription,
                  sp.SubscriptionCancelParams, {"invoice_now", "prorate"}),
            route("/v1/billing_portal/sessions", "POST", self._create_portal_session,
                  portal_params.SessionCreateParams, {"customer", "return_url", "locale"}),
            route("/v1/invoices", "GET", self._list_invoices, sp.InvoiceListParams,
                  {"customer", "subscription", "status", "limit", "starting_after",
                   "ending_before"}),
            route("/v1/invoices/{id}", "GET", self._retrieve(self.invoices, "invoice"),
                  sp.InvoiceRetrieveParams),
            Route("/v1/{rest:path}", self._unrecognized, methods=["GET", "POST", "DELETE"]),
        ])

    async def _serve(self, request: Request, handler: Callable[[_Call], Obj],
                     known: frozenset[str], accepted: frozenset[str]) -> Response:
        """Every call: recorded, then an injected failure, the key, idempotency, the
        parameters, and only then the handler."""
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        call = _Call(new_id("req_", 14), key, {}, dict(request.path_params))
        try:
            call.params = decode_params(await _pairs(request))
            decoding_error = None
        except StripeError as error:
            decoding_error = error
        self.requests.append(StripeRequest(request.method, request.url.path, call.params, key,
                                           request.headers.get("stripe-version")))
        failure = self._failures.pop(0) if self._failures else None
        if failure and not failure.processed:
            return self._failure_response(failure, call)
        try:
            self._authenticate(request.headers.get("authorization"))
            if decoding_error:
                raise decoding_error
            response = self._replay(request, call) or self._answer(
                request, call, handler, known, accepted)
        except StripeError as error:
            response = _json(error.body(), call, error.status)
        return _DroppedConnection() if failure else response

    def _answer(self, request: Request, call: _Call, handler: Callable[[_Call], Obj],
                known: frozenset[str], accepted: frozenset[str]) -> Response:
        for name in call.params:
            if name not in known:
                raise StripeError(400, f"Received unknown parameter: {name}",
                                  code="parameter_unknown", param=name)
            if name not in accepted:
                raise StripeError(400, f"The fake Stripe API does not model the parameter "
                                  f"{name} (Stripe knows it): extend {__name__}.", param=name)
        body = self._expanded(handler(call), _list(call.params.get("expand"), "expand"))
        response = _json(body, call)
        if call.idempotency_key:  # only a result that took effect is kept, as Stripe does
            self._idempotent[call.idempotency_key] = _Stored(
                _fingerprint(request, call), bytes(response.body), call.request_id)
        return response

    def _replay(self, request: Request, call: _Call) -> Response | None:
        stored = self._idempotent.get(call.idempotency_key or "")
        if stored is None:
            return None
        if stored.fingerprint != _fingerprint(request, call):
            raise StripeError(400, "Keys for idempotent requests can only be used with the same "
                              "parameters they were first used with. Try using a key other "
                              f"than '{call.idempotency_key}' if you meant to execute a "
                              "different request.", type="idempotency_error")
        headers = {"Request-Id": call.request_id, "Idempotency-Key": call.idempotency_key or "",
                   "Idempotent-Replayed": "true", "Original-Request": stored.request_id,
                   "Stripe-Version": stripe.api_version}
        return Response(stored.body, media_type="application/json", headers=headers)

    def _authenticate(self, authorization: str | None) -> None:
        if not authorization:
            raise StripeError(401, "You did not provide an API key. You need to provide your "
                              "API key in the Authorization header, using Bearer auth (e.g. "
                              "'Authorization: Bearer YOUR_SECRET_KEY').")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.encode(),
                                                                  self.api_key.encode()):
            # Stripe shows a masked key; this shows none of it, so no test log holds a secret.
            raise StripeError(401, "Invalid API Key provided: sk_****")

    def _failure_response(self, failure: _Failure, call: _Call) -> Response:
        if failure.status is None:
            return _DroppedConnection()
        if failure.status == 429:
            error = StripeError(429, "Request rate limit exceeded.", code="rate_limit")
        else:
            error = StripeError(failure.status, "An unknown error occurred", type="api_error")
        return _json(error.body(), call, failure.status)

    async def _unrecognized(self, request: Request) -> Response:
        error = StripeError(404, f"Unrecognized request URL ({request.method}: "
                            f"{request.url.path}).")
        return _json(error.body(), _Call(new_id("req_", 14), None, {}, {}), 404)

    def _retrieve(self, store: dict[str, Obj], kind: str) -> Callable[[_Call], Obj]:
        return lambda call: _get(store, call.path_params["id"], kind)

    def _expanded(self, body: Obj, paths: list[Any]) -> Obj:
        body = copy.deepcopy(body)
        for path in paths:
            if not isinstance(path, str) or not path:
                raise StripeError(400, "Invalid expand[]", param="expand")
            self._expand(body, path.split("."), path)
        return body

    def _expand(self, node: Any, parts: list[str], path: str) -> None:
        """Replace the id at ``path`` by its object; ``data`` walks a list's items."""
        if isinstance(node, list):
            for item in node:
                self._expand(item, parts, path)
            return
        head, rest = parts[0], parts[1:]
        if not isinstance(node, dict) or head not in node:
            raise StripeError(400, f"This property cannot be expanded ({path}).",
                              param="expand")
        if isinstance(node[head], str):
            stores = (self.customers, self.products, self.prices, self.checkout_sessions,
                      self.subscriptions, self.invoices)
            found = next((s[node[head]] for s in stores if node[head] in s), None)
            if found is None:
                raise StripeError(400, f"This property cannot be expanded ({path}).",
                                  param="expand")
            node[head] = copy.deepcopy(found)
        if rest and node[head] is not None:
            self._expand(node[head], rest, path)

    # --- customers ------------------------------------------------------------------------------

    def _create_customer(self, call: _Call) -> Obj:
        p = call.params
        email = _string(p.get("email"), "email")
        if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise StripeError(400, f"Invalid email address: {email}", code="email_invalid",
                              param="email")
        return self._new_customer(email=email, name=_string(p.get("name"), "name"),
                                  description=_string(p.get("description"), "description"),
                                  phone=_string(p.get("phone"), "phone"),
                                  metadata=_metadata(p.get("metadata")))

    def _new_customer(self, *, email: str | None, name: str | None = None,
                      description: str | None = None, phone: str | None = None,
                      metadata: dict[str, str] | None = None) -> Obj:
        customer = {
            "id": new_id("cus_", 14), "object": "customer", "created": self.now,
            "livemode": False, "metadata": metadata or {}, "email": email, "name": name,
            "description": description, "phone": phone, "balance": 0, "delinquent": False,
            "invoice_prefix": secrets.token_hex(4).upper(), "next_invoice_sequence": 1,
            "invoice_settings": _nulls("custom_fields default_payment_method footer "
                                       "rendering_options"),
            "preferred_locales": [], "tax_exempt": "none",
            **_nulls("address currency default_source discount shipping test_clock"),
        }
        self.customers[customer["id"]] = customer
        return customer

    # --- products and prices ------------------------------------------------------------------

    def add_price(self, *, unit_amount: int, currency: str = "usd", interval: str | None = "month",
                  product_name: str = "Pitchlab", lookup_key: str | None = None,
                  metadata: dict[str, str] | None = None) -> Obj:
        """A price made directly (as in Stripe's dashboard); ``interval=None``: one-time."""
        params: Obj = {"unit_amount": str(unit_amount), "currency": currency,
                       "product_data": {"name": product_name}, "lookup_key": lookup_key,
                       "metadata": metadata}
        if interval:
            params["recurring"] = {"interval": interval}
        return self._create_price(_Call("", None, params, {}))

    def _create_price(self, call: _Call) -> Obj:
        p = call.params
        currency = _string(p.get("currency"), "currency", required=True) or ""
        if not re.fullmatch(r"[a-z]{3}", currency.lower()):
            raise StripeError(400, f"Invalid currency: {currency}", param="currency")
        unit_amount = _integer(p.get("unit_amount"), "unit_amount", required=True, low=0)
        recurring = self._recurring(p.get("recurring"))
        lookup_key = _string(p.get("lookup_key"), "lookup_key")
        holder = self._lookup_key_holder(lookup_key)
        if holder and not _boolean(p.get("transfer_lookup_key"), "transfer_lookup_key"):
            raise StripeError(400, f"A price ({holder['id']}) already uses that lookup key.",
                              param="lookup_key")
        product = self._product_of(p.get("product"), p.get("product_data"))
        if holder:
            holder["lookup_key"] = None
        price = {
            "id": new_id("price_"), "object": "price", "created": self.now, "livemode": False,
            "metadata": _metadata(p.get("metadata")),
            "active": _boolean(p.get("active"), "active") is not False,
            "currency": currency.lower(), "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount), "lookup_key": lookup_key,
            "nickname": _string(p.get("nickname"), "nickname"), "product": product,
            "recurring": recurring, "type": "recurring" if recurring else "one_time",
            "billing_scheme": "per_unit", "tax_behavior": "unspecified",
            **_nulls("custom_unit_amount tiers_mode transform_quantity"),
        }
        self.prices[price["id"]] = price
        return price

    def _recurring(self, value: Any) -> Obj | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise StripeError(400, "Invalid recurring: must be a hash", param="recurring")
        return {
            "interval": _choice(value.get("interval"), "recurring[interval]",
                                ("day", "week", "month", "year"), required=True),
            "interval_count": _integer(value.get("interval_count"), "recurring[interval_count]",
                                       low=1, high=36) or 1,
            "meter": None, "trial_period_days": None, "usage_type": "licensed",
        }

    def _lookup_key_holder(self, lookup_key: str | None) -> Obj | None:
        return next((price for price in self.prices.values()
                     if lookup_key and price["lookup_key"] == lookup_key), None)

    def _product_of(self, product_id: Any, product_data: Any) -> str:
        if (product_id is None) == (product_data is None):
            raise StripeError(400, "You must specify exactly one of product or product_data.",
                              code="parameter_missing", param="product")
        if product_id is not None:
            return _get(self.products, _string(product_id, "product") or "", "product",
                        param="product")["id"]
        if not isinstance(product_data, dict):
            raise StripeError(400, "Invalid product_data: must be a hash", param="product_data")
        name = _string(product_data.get("name"), "product_data[name]", required=True)
        product = {
            "id": new_id("prod_", 14), "object": "product", "created": self.now,
            "livemode": False, "metadata": {}, "name": name, "active": True, "images": [],
            "marketing_features": [], "type": "service", "updated": self.now,
            **_nulls("default_price description package_dimensions shippable "
                     "statement_descriptor tax_code unit_label url"),
        }
        self.products[product["id"]] = product
        return product["id"]

    def _list_prices(self, call: _Call) -> Obj:
        p = call.params
        lookup_keys = [_string(key, "lookup_keys")
                       for key in _list(p.get("lookup_keys"), "lookup_keys")]
        active = _boolean(p.get("active"), "active")
        wanted = {"product": _string(p.get("product"), "product"),
                  "type": _choice(p.get("type"), "type", ("one_time", "recurring")),
                  "currency": _string(p.get("currency"), "currency")}
        prices = [price for price in reversed(self.prices.values())
                  if (not lookup_keys or price["lookup_key"] in lookup_keys)
                  and (active is None or price["active"] == active)
                  and all(v is None or price[k] == v for k, v in wanted.items())]
        return _page(prices, p, "/v1/prices", "price")

    # --- Checkout Sessions --------------------------------------------------------------------

    def _create_checkout(self, call: _Call) -> Obj:
        p = call.params
        mode = _choice(p.get("mode"), "mode", ("payment", "subscription"), required=True)
        customer = _string(p.get("customer"), "customer")
        if customer is not None:
            _get(self.customers, customer, "customer", param="customer")
        lines = self._line_items(p.get("line_items"), mode or "")
        subscription_data = p.get("subscription_data") or {}
        if not isinstance(subscription_data, dict):
            raise StripeError(400, "Invalid subscription_data: must be a hash",
                              param="subscription_data")
        if subscription_data and mode != "subscription":
            raise StripeError(400, "subscription_data can only be used in subscription mode.",
                              param="subscription_data")
        for name in set(subscription_data) - {"trial_period_days", "metadata"}:
            raise StripeError(400, f"The fake Stripe API does not model subscription_data[{name}]"
                              f": extend {__name__}.", param=f"subscription_data[{name}]")
        trial_days = _integer(subscription_data.get("trial_period_days"),
                              "subscription_data[trial_period_days]", low=1, high=730)
        subscription_metadata = _metadata(subscription_data.get("metadata"))
        amount = sum(price["unit_amount"] * quantity for price, quantity in lines)
        session_id = new_id("cs_test_", 58)
        session = {
            "id": session_id, "object": "checkout.session", "created": self.now,
            "livemode": False, "metadata": _metadata(p.get("metadata")), "mode": mode,
            "status": "open", "payment_status": "unpaid",
            "url": f"{self.base_url}/c/pay/{session_id}", "expires_at": self.now + 86_400,
            "success_url": _string(p.get("success_url"), "success_url"),
            "cancel_url": _string(p.get("cancel_url"), "cancel_url"),
            "client_reference_id": _string(p.get("client_reference_id"), "client_reference_id"),
            "customer": customer, "customer_creation": None if customer else "always",
            "customer_email": _string(p.get("customer_email"), "customer_email"),
            "amount_subtotal": amount, "amount_total": amount,
            "currency": lines[0][0]["currency"],
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "automatic_tax": {"enabled": False, **_nulls("liability provider status")},
            "payment_method_collection": "always" if mode == "subscription" else None,
            "payment_method_types": ["card"], "phone_number_collection": {"enabled": False},
            "custom_fields": [], "shipping_options": [], "ui_mode": "hosted",
            # set when the session completes
            **_nulls("customer_details invoice payment_intent subscription"),
            **_nulls("after_expiration allow_promotion_codes billing_address_collection "
                     "client_secret consent consent_collection invoice_creation locale "
                     "payment_link recovered_from setup_intent shipping_address_collection "
                     "shipping_cost submit_type"),
        }
        self.checkout_sessions[session_id] = session
        self._orders[session_id] = {"lines": lines, "trial_days": trial_days,
                                    "metadata": subscription_metadata}
        return session

    def _line_items(self, value: Any, mode: str) -> list[tuple[Obj, int]]:
        items = _list(value, "line_items")
        if not items:
            raise StripeError(400, "Missing required param: line_items.",
                              code="parameter_missing", param="line_items")
        lines = []
        for index, item in enumerate(items):
            label = f"line_items[{index}]"
            if not isinstance(item, dict) or "price_data" in item:
                raise StripeError(400, f"{label}: only price and quantity are modelled.",
                                  param=label)
            price_id = _string(item.get("price"), f"{label}[price]", required=True) or ""
            price = _get(self.prices, price_id, "price", param=f"{label}[price]")
            quantity = _integer(item.get("quantity"), f"{label}[quantity]", required=True,
                                low=1, high=999_999) or 1
            if not price["active"]:
                raise StripeError(400, f"The price specified is inactive ({price_id}).",
                                  param=f"{label}[price]")
            if (price["type"] == "recurring") != (mode == "subscription"):
                raise StripeError(400, f"You specified `{mode}` mode but passed a "
                                  f"{price['type'].replace('_', '-')} price ({price_id}).",
                                  param=f"{label}[price]")
            lines.append((copy.deepcopy(price), quantity))
        if len({price["currency"] for price, _ in lines}) > 1:
            raise StripeError(400, "All line items must share one currency.", param="line_items")
        return lines

    def complete_checkout(self, session_id: str, *, paid: bool = True) -> Obj:
        """The customer pays on the Checkout page. Subscription mode: the subscription, its
        item and first invoice are made (``trialing`` with trial days, its $0 invoice paid), then
        ``customer.subscription.created``, ``invoice.paid`` (``invoice.payment_failed`` when not
        ``paid``: subscription ``incomplete``) and ``checkout.session.completed``."""
        session = self.checkout_sessions[session_id]
        if session["status"] != "open":
            raise ValueError(f"{session_id} is {session['status']}, not open")
        order = self._orders[session_id]
        customer = self.customers.get(session["customer"] or "") or self._new_customer(
            email=session["customer_email"])
        session.update(
            status="complete", customer=customer["id"], url=None,
            payment_status="paid" if paid else "unpaid",
            customer_details={"address": None, "email": customer["email"],
                              "name": customer["name"], "phone": None, "tax_exempt": "none",
                              "tax_ids": []})
        if session["mode"] == "payment":
            session["payment_intent"] = new_id("pi_")
        else:
            subscription, invoice = self._start_subscription(customer, order, paid)
            session.update(subscription=subscription["id"], invoice=invoice["id"])
            if order["trial_days"]:
                session["payment_status"] = "no_payment_required"
            self._emit("customer.subscription.created", subscription)
            self._emit("invoice.paid" if invoice["status"] == "paid" else
                       "invoice.payment_failed", invoice)
        self._emit("checkout.session.completed", session)
        return copy.deepcopy(session)

    # --- subscriptions --------------------------------------------------------------------------

    def _start_subscription(self, customer: Obj, order: Obj, paid: bool) -> tuple[Obj, Obj]:
        subscription_id, trial_days = new_id("sub_"), order["trial_days"]
        first_price = order["lines"][0][0]
        trial_end = self.now + trial_days * 86_400 if trial_days else None
        anchor = trial_end or self.now
        period_end = trial_end or add_interval(anchor, first_price["recurring"]["interval"],
                                               first_price["recurring"]["interval_count"])
        items = [_subscription_item(subscription_id, price, quantity, self.now, period_end,
                                    self.now) for price, quantity in order["lines"]]
        subscription = {
            "id": subscription_id, "object": "subscription", "created": self.now,
            "livemode": False, "metadata": order["metadata"],
            "status": "trialing" if trial_days else ("active" if paid else "incomplete"),
            "customer": customer["id"], "currency": first_price["currency"],
            "items": {"object": "list", "data": items, "has_more": False,
                      "total_count": len(items),
                      "url": f"/v1/subscription_items?subscription={subscription_id}"},
            "start_date": self.now, "billing_cycle_anchor": anchor,
            "trial_start": self.now if trial_days else None, "trial_end": trial_end,
            "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None,
            "ended_at": None, "latest_invoice": None,
            "cancellation_details": _nulls("comment feedback reason"),
            "collection_method": "charge_automatically", "billing_mode": {"type": "classic"},
            "automatic_tax": {"enabled": False, **_nulls("disabled_reason liability")},
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "default_tax_rates": [], "discounts": [],
            **_nulls("application application_fee_percent billing_cycle_anchor_config "
                     "billing_thresholds days_until_due default_payment_method default_source "
                     "description next_pending_invoice_item_invoice on_behalf_of "
                     "pause_collection payment_settings pending_invoice_item_interval "
                     "pending_setup_intent pending_update schedule test_clock transfer_data"),
        }
        self.subscriptions[subscription_id] = subscription
        lines = [(item, 0 if trial_days else item["price"]["unit_amount"] * item["quantity"],
                  False) for item in items]
        invoice = self._invoice(subscription, "subscription_create", lines,
                                (self.now, self.now), paid=paid or bool(trial_days))
        subscription["latest_invoice"] = invoice["id"]
        return subscription, invoice

    def _update_subscription(self, call: _Call) -> Obj:
        subscription = _get(self.subscriptions, call.path_params["id"], "subscription")
        p = call.params
        if subscription["status"] == "canceled" and set(p) - {"metadata", "expand"}:
            raise StripeError(400, "A canceled subscription can only update its "
                              "cancellation_details and metadata.")
        # Everything is checked before anything changes: a bad request changes nothing.
        behavior = _choice(p.get("proration_behavior"), "proration_behavior",
                           PRORATION_BEHAVIORS) or "create_prorations"
        changes = self._item_changes(subscription, p.get("items"))
        at_period_end = _boolean(p.get("cancel_at_period_end"), "cancel_at_period_end")
        metadata = _metadata(p.get("metadata"), subscription["metadata"])
        before = copy.deepcopy(subscription)
        subscription["metadata"] = metadata
        if at_period_end is not None:
            self._mark_cancel_at_period_end(subscription, at_period_end)
        invoice_lines = [line for item, price, quantity in changes
                         for line in self._change_item(subscription, item, price, quantity,
                                                       behavior)]
        invoice = invoice_lines and self._invoice(
            subscription, "subscription_update", invoice_lines, (self.now, self.now), paid=True)
        if invoice:
            subscription["latest_invoice"] = invoice["id"]
        self._emit_updated(subscription, before, call)
        if invoice:
            self._emit("invoice.paid", invoice, call=call)
        return subscription

    def _item_changes(self, subscription: Obj, value: Any) -> list[tuple[Obj, Obj, int]]:
        changes = []
        own = {item["id"]: item for item in subscription["items"]["data"]}
        for index, change in enumerate(_list(value, "items")):
            label = f"items[{index}]"
            if not isinstance(change, dict) or set(change) - {"id", "price", "quantity"}:
                raise StripeError(400, f"{label}: only id, price and quantity are modelled.",
                                  param=label)
            item_id = _string(change.get("id"), f"{label}[id]", required=True) or ""
            if item_id not in own:
                raise missing("subscription_item", item_id, f"{label}[id]")
            price_id = _string(change.get("price"), f"{label}[price]")
            price = (_get(self.prices, price_id, "price", param=f"{label}[price]")
                     if price_id else own[item_id]["price"])
            if price["type"] != "recurring" or price["currency"] != subscription["currency"]:
                raise StripeError(400, f"{label}[price] must be a recurring price in "
                                  f"{subscription['currency']}.", param=f"{label}[price]")
            quantity = _integer(change.get("quantity"), f"{label}[quantity]", low=1)
            changes.append((own[item_id], price, quantity or own[item_id]["quantity"]))
        return changes

    def _change_item(self, subscription: Obj, item: Obj, price: Obj, quantity: int,
                     behavior: str) -> list[tuple[Obj, int, bool]]:
        """The item's new price and quantity, and the invoice lines it makes now: a change of
        interval restarts the period and is billed at once (as Stripe does); otherwise only
        ``always_invoice`` bills the difference for the rest of the period."""
        old_amount = item["price"]["unit_amount"] * item["quantity"]
        new_amount = price["unit_amount"] * quantity
        start, end = item["current_period_start"], item["current_period_end"]
        unused = max(0.0, (end - self.now) / max(1, end - start))
        if price["id"] != item["price"]["id"]:
            self.price_changes.append(PriceChange(subscription["id"], item["id"],
                                                  item["price"]["id"], price["id"], behavior))
        interval_changed = price["recurring"]["interval"] != item["price"]["recurring"]["interval"]
        old_item = copy.deepcopy(item)  # the credit for unused time names the old price
        item.update(price=copy.deepcopy(price), plan=_plan(price), quantity=quantity)
        credit = [] if behavior == "none" else [(old_item, -round(old_amount * unused), True)]
        if interval_changed:
            subscription["billing_cycle_anchor"] = self.now
            item.update(current_period_start=self.now, current_period_end=add_interval(
                self.now, price["recurring"]["interval"], price["recurring"]["interval_count"]))
            return [*credit, (item, new_amount, False)]
        if behavior == "always_invoice" and new_amount != old_amount:
            return [*credit, (item, round(new_amount * unused), True)]
        return []

    def _delete_subscription(self, call: _Call) -> Obj:
        subscription = _get(self.subscriptions, call.path_params["id"], "subscription")
        if subscription["status"] == "canceled":
            raise StripeError(400, "This subscription has already been canceled.")
        self._end(subscription, "cancellation_requested", call)
        return subscription

    def _mark_cancel_at_period_end(self, subscription: Obj, flag: bool) -> None:
        # As Stripe: the end is scheduled (cancel_at) and the request's time is canceled_at.
        period_end = subscription["items"]["data"][0]["current_period_end"]
        subscription.update(cancel_at_period_end=flag, cancel_at=period_end if flag else None,
                            canceled_at=self.now if flag else None)
        subscription["cancellation_details"]["reason"] = (
            "cancellation_requested" if flag else None)

    def _end(self, subscription: Obj, reason: str, call: _Call | None = None) -> None:
        subscription.update(status="canceled", ended_at=self.now,
                            canceled_at=subscription["canceled_at"] or self.now)
        subscription["cancellation_details"]["reason"] = reason
        self._emit("customer.subscription.deleted", subscription, call=call)

    def cancel(self, subscription_id: str, *, at_period_end: bool = False) -> Obj:
        """The customer cancels (in the Billing Portal): at the period's end
        (``customer.subscription.updated``) or now (``customer.subscription.deleted``)."""
        subscription = self._live(subscription_id)
        if at_period_end:
            before = copy.deepcopy(subscription)
            self._mark_cancel_at_period_end(subscription, True)
            self._emit_updated(subscription, before)
        else:
            self._end(subscription, "cancellation_requested")
        return copy.deepcopy(subscription)

    def renew(self, subscription_id: str) -> Obj:
        """The period ends (``now`` moves to its end if it is earlier) and the next one is paid:
        ``customer.subscription.updated``, ``invoice.paid`` (``subscription_cycle``). A trial
        becomes ``active``. A subscription set to cancel at the period's end ends instead
        (``customer.subscription.deleted``). Returns the new invoice, or the ended
        subscription."""
        subscription = self._live(subscription_id)
        if subscription["cancel_at_period_end"]:
            self.now = max(self.now, subscription["cancel_at"])
            self._end(subscription, "cancellation_requested")
            return copy.deepcopy(subscription)
        invoice = self._next_period(subscription, paid=True)
        return copy.deepcopy(invoice)

    def fail_renewal(self, subscription_id: str) -> Obj:
        """The next period starts and its payment fails: the invoice stays ``open``
        (attempt 1), the subscription turns ``past_due``; ``invoice.payment_failed``,
        ``customer.subscription.updated``. Returns the invoice."""
        return copy.deepcopy(self._next_period(self._live(subscription_id), paid=False))

    def _next_period(self, subscription: Obj, *, paid: bool) -> Obj:
        before = copy.deepcopy(subscription)
        items = subscription["items"]["data"]
        ended = (items[0]["current_period_start"], items[0]["current_period_end"])
        self.now = max(self.now, ended[1])
        for item in items:
            recurring = item["price"]["recurring"]
            start, count = item["current_period_end"], 1
            while (end := add_interval(subscription["billing_cycle_anchor"],
                                       recurring["interval"],
                                       recurring["interval_count"] * count)) <= start:
                count += 1
            item.update(current_period_start=start, current_period_end=end)
        lines = [(item, item["price"]["unit_amount"] * item["quantity"], False) for item in items]
        invoice = self._invoice(subscription, "subscription_cycle", lines, ended, paid=paid)
        subscription.update(latest_invoice=invoice["id"], status="active" if paid else "past_due")
        if paid:
            self._emit_updated(subscription, before)
            self._emit("invoice.paid", invoice)
        else:
            self._emit("invoice.payment_failed", invoice)
            self._emit_updated(subscription, before)
        return invoice

    def pay_invoice(self, invoice_id: str) -> Obj:
        """A retried payment succeeds: the open invoice is ``paid`` (``invoice.paid``) and a
        ``past_due`` or ``incomplete`` subscription is ``active`` again
        (``customer.subscription.updated``)."""
        invoice = self.invoices[invoice_id]
        if invoice["status"] != "open":
            raise ValueError(f"{invoice_id} is {invoice['status']}, not open")
        _mark_paid(invoice, self.now)
        self._emit("invoice.paid", invoice)
        subscription = self.subscriptions[invoice["parent"]["subscription_details"]
                                          ["subscription"]]
        if subscription["status"] in ("past_due", "incomplete"):
            before = copy.deepcopy(subscription)
            subscription["status"] = "active"
            self._emit_updated(subscription, before)
        return copy.deepcopy(invoice)

    def trial_will_end(self, subscription_id: str) -> Obj:
        """Stripe's notice three days before a trial ends:
        ``customer.subscription.trial_will_end``. Returns the event."""
        subscription = self._live(subscription_id)
        if subscription["status"] != "trialing":
            raise ValueError(f"{subscription_id} is {subscription['status']}, not trialing")
        return self._emit("customer.subscription.trial_will_end", subscription)

    def _live(self, subscription_id: str) -> Obj:
        subscription = self.subscriptions[subscription_id]
        if subscription["status"] not in (*LIVE_STATUSES, "incomplete"):
            raise ValueError(f"{subscription_id} is {subscription['status']}")
        return subscription

    # --- invoices --------------------------------------------------------------------------------

    def _invoice(self, subscription: Obj, reason: str, lines: list[tuple[Obj, int, bool]],
                 usage_period: tuple[int, int], *, paid: bool) -> Obj:
        """A finalized invoice: ``paid``, or ``open`` after one failed attempt. ``lines`` are
        (subscription item, amount, proration); each line covers its item's current period."""
        customer = self.customers[subscription["customer"]]
        invoice_id = new_id("in_")
        total = sum(amount for _, amount, _ in lines)
        invoice = {
            "id": invoice_id, "object": "invoice", "created": self.now, "livemode": False,
            "metadata": {}, "status": "open", "billing_reason": reason,
            "number": f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}",
            "customer": customer["id"], "customer_email": customer["email"],
            "customer_name": customer["name"], "currency": subscription["currency"],
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"metadata": dict(subscription["metadata"]),
                                                "subscription": subscription["id"]}},
            "period_start": usage_period[0], "period_end": usage_period[1],
            "lines": {"object": "list", "has_more": False, "total_count": len(lines),
                      "url": f"/v1/invoices/{invoice_id}/lines",
                      "data": [self._line(invoice_id, subscription, *line) for line in lines]},
            "subtotal": total, "subtotal_excluding_tax": total, "total": total,
            "total_excluding_tax": total, "amount_due": max(total, 0), "amount_paid": 0,
            "amount_remaining": max(total, 0), "amount_overpaid": 0, "amount_shipping": 0,
            "attempt_count": 1, "attempted": True, "auto_advance": not paid,
            "next_payment_attempt": None if paid else self.now + 3 * 86_400,
            "status_transitions": {"finalized_at": self.now,
                                   **_nulls("marked_uncollectible_at paid_at voided_at")},
            "hosted_invoice_url": f"{self.base_url}/i/{invoice_id}",
            "invoice_pdf": f"{self.base_url}/i/{invoice_id}/pdf",
            "collection_method": "charge_automatically", "effective_at": self.now,
            "account_country": "US", "account_name": "Pitchlab", "issuer": {"type": "self"},
            "automatic_tax": {"enabled": False,
                              **_nulls("disabled_reason liability provider status")},
            "payment_settings": _nulls("default_mandate payment_method_options "
                                       "payment_method_types"),
            "customer_tax_exempt": "none", "customer_tax_ids": [], "default_tax_rates": [],
            "discounts": [], "total_discount_amounts": [], "total_pretax_credit_amounts": [],
            "total_taxes": [], "ending_balance": 0, "starting_balance": 0,
            "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
            **_nulls("account_tax_ids application automatically_finalizes_at custom_fields "
                     "customer_address customer_phone customer_shipping default_payment_method "
                     "default_source description due_date footer from_invoice "
                     "last_finalization_error latest_revision on_behalf_of receipt_number "
                     "rendering shipping_cost shipping_details statement_descriptor test_clock "
                     "webhooks_delivered_at"),
        }
        customer["next_invoice_sequence"] += 1
        if paid:
            _mark_paid(invoice, self.now)
        self.invoices[invoice_id] = invoice
        return invoice

    def _line(self, invoice_id: str, subscription: Obj, item: Obj, amount: int,
              proration: bool) -> Obj:
        price = item["price"]
        product = self.products[price["product"]]["name"]
        what = f"{item['quantity']} \N{MULTIPLICATION SIGN} {product}"
        return {
            "id": new_id("il_"), "object": "line_item", "amount": amount,
            "currency": price["currency"],
            "description": f"{'Unused time on' if amount < 0 else ''} {what}".strip(),
            "discount_amounts": [], "discountable": not proration, "discounts": [],
            "invoice": invoice_id, "livemode": False, "metadata": {},
            "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                       "subscription_item_details": {
                           "invoice_item": None, "proration": proration,
                           "proration_details": {"credited_items": None},
                           "subscription": subscription["id"], "subscription_item": item["id"]}},
            "period": {"start": max(self.now, item["current_period_start"]) if proration
                       else item["current_period_start"], "end": item["current_period_end"]},
            "pretax_credit_amounts": [],
            "pricing": {"type": "price_details", "unit_amount_decimal": str(price["unit_amount"]),
                        "price_details": {"price": price["id"], "product": price["product"]}},
            "quantity": item["quantity"], "subtotal": amount, "taxes": [],
        }

    def _list_invoices(self, call: _Call) -> Obj:
        p = call.params
        customer = _string(p.get("customer"), "customer")
        subscription = _string(p.get("subscription"), "subscription")
        status = _choice(p.get("status"), "status",
                         ("draft", "open", "paid", "uncollectible", "void"))
        invoices = [invoice for invoice in reversed(self.invoices.values())
                    if customer in (None, invoice["customer"])
                    and subscription in (None, invoice["parent"]["subscription_details"]
                                         ["subscription"])
                    and status in (None, invoice["status"])]
        return _page(invoices, p, "/v1/invoices", "invoice")

    # --- Billing Portal ---------------------------------------------------------------------------

    def _create_portal_session(self, call: _Call) -> Obj:
        customer = _string(call.params.get("customer"), "customer", required=True) or ""
        _get(self.customers, customer, "customer", param="customer")
        session_id = new_id("bps_")
        session = {
            "id": session_id, "object": "billing_portal.session",
            "configuration": "bpc_fakeDefaultConfiguration", "created": self.now,
            "customer": customer, "customer_account": None, "flow": None, "livemode": False,
            "locale": _string(call.params.get("locale"), "locale"), "on_behalf_of": None,
            "return_url": _string(call.params.get("return_url"), "return_url"),
            "url": f"{self.base_url}/p/session/{session_id}",
        }
        self.portal_sessions[session_id] = session
        return session

    # --- events and deliveries --------------------------------------------------------------------

    def _emit(self, event_type: str, obj: Obj, *, previous: Obj | None = None,
              call: _Call | None = None) -> Obj:
        data: Obj = {"object": copy.deepcopy(obj)}
        if previous is not None:
            data["previous_attributes"] = previous
        event = {
            "id": new_id("evt_"), "object": "event", "api_version": stripe.api_version,
            "created": self.now, "data": data, "livemode": False, "pending_webhooks": 1,
            "request": {"id": call.request_id if call else None,
                        "idempotency_key": call.idempotency_key if call else None},
            "type": event_type,
        }
        self.events.append(event)
        self.event_log.append(event)
        return event

    def _emit_updated(self, subscription: Obj, before: Obj, call: _Call | None = None) -> None:
        previous = {key: value for key, value in before.items() if subscription[key] != value}
        if previous:
            self._emit("customer.subscription.updated", subscription, previous=previous,
                       call=call)

    def take_events(self) -> list[Obj]:
        """The undelivered events, in the order they happened; the queue is left empty."""
        taken, self.events = self.events, []
        return taken

    def signed(self, event: Obj, *, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """A delivery as Stripe sends it: the event as indented JSON, and ``Stripe-Signature``
        over ``"<t>.<body>"`` (``t``: real time unless given)."""
        body = json.dumps(event, indent=2).encode()
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(self.webhook_secret.encode(), f"{t}.".encode() + body, hashlib.sha256)
        return body, {"Content-Type": "application/json; charset=utf-8",
                      "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                      "Stripe-Signature": f"t={t},v1={mac.hexdigest()}"}

    async def deliver(self, event: Obj, times: int = 1, *,
                      timestamp: int | None = None) -> list[int]:
        """Hand ``event`` to ``sink`` ``times`` times, one after the other; their statuses."""
        if self.sink is None:
            raise RuntimeError("set fake.sink to the endpoint that receives the deliveries")
        statuses = []
        for _ in range(times):
            status = await self.sink(*self.signed(event, timestamp=timestamp))
            self.deliveries.append((event["id"], status))
            statuses.append(status)
        return statuses

    async def deliver_all(self) -> list[int]:
        """Deliver every undelivered event in order; their statuses."""
        return [status for event in self.take_events() for status in await self.deliver(event)]


# ---------------------------------------------------------------------------------------------
# Shapes and helpers shared by the resources
# ---------------------------------------------------------------------------------------------


def _get(store: dict[str, Obj], object_id: str, kind: str, *, param: str = "id") -> Obj:
    if object_id not in store:
        raise missing(kind, object_id, param)
    return store[object_id]


def _page(items: list[Obj], params: Obj, url: str, kind: str) -> Obj:
    """Stripe's cursor pagination over ``items`` (newest first)."""
    limit = _integer(params.get("limit"), "limit", low=1, high=100) or 10
    after = _string(params.get("starting_after"), "starting_after")
    before = _string(params.get("ending_before"), "ending_before")
    ids = [item["id"] for item in items]
    for cursor, label in ((after, "starting_after"), (before, "ending_before")):
        if cursor is not None and cursor not in ids:
            raise missing(kind, cursor, label)
    if before is not None:
        end = ids.index(before)
        chunk, has_more = items[max(0, end - limit):end], end - limit > 0
    else:
        start = ids.index(after) + 1 if after is not None else 0
        chunk, has_more = items[start:start + limit], start + limit < len(items)
    return {"object": "list", "data": chunk, "has_more": has_more, "url": url}


def _plan(price: Obj) -> Obj:
    """The legacy ``plan`` a subscription item still carries, mirroring its price."""
    recurring = price["recurring"]
    return {
        "id": price["id"], "object": "plan", "active": price["active"],
        "amount": price["unit_amount"], "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit", "created": price["created"], "currency": price["currency"],
        "interval": recurring["interval"], "interval_count": recurring["interval_count"],
        "livemode": False, "metadata": price["metadata"], "meter": None,
        "nickname": price["nickname"], "product": price["product"], "tiers_mode": None,
        "transform_usage": None, "trial_period_days": None, "usage_type": "licensed",
    }


def _subscription_item(subscription_id: str, price: Obj, quantity: int, start: int, end: int,
                       created: int) -> Obj:
    return {
        "id": new_id("si_", 14), "object": "subscription_item", "billing_thresholds": None,
        "created": created, "current_period_end": end, "current_period_start": start,
        "discounts": [], "metadata": {}, "plan": _plan(price), "price": copy.deepcopy(price),
        "quantity": quantity, "subscription": subscription_id, "tax_rates": [],
    }


def _mark_paid(invoice: Obj, now: int) -> None:
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                   next_payment_attempt=None, auto_advance=False)
    invoice["status_transitions"]["paid_at"] = now


async def _pairs(request: Request) -> list[tuple[str, str]]:
    if request.method == "POST":
        return parse_qsl((await request.body()).decode(), keep_blank_values=True)
    return list(request.query_params.multi_items())


def _fingerprint(request: Request, call: _Call) -> tuple[str, str, str]:
    return request.method, request.url.path, json.dumps(call.params, sort_keys=True)


def _json(body: Obj, call: _Call, status: int = 200) -> Response:
    headers = {"Request-Id": call.request_id, "Stripe-Version": stripe.api_version}
    if call.idempotency_key:
        headers["Idempotency-Key"] = call.idempotency_key
    return Response(json.dumps(body, indent=2), status_code=status,
                    media_type="application/json", headers=headers)


@contextlib.asynccontextmanager
async def running_fake_stripe(api_key: str = "sk_test_fake_stripe_key",
                              webhook_secret: str = "whsec_fake_stripe_secret",
                              ) -> AsyncIterator[tuple[FakeStripe, str]]:
    """A fake Stripe served on 127.0.0.1 for the test's duration: ``(fake, base_url)``."""
    fake = FakeStripe(api_key=api_key, webhook_secret=webhook_secret)
    async with serve_asgi(fake.app()) as base_url:
        fake.base_url = base_url
        yield fake, base_url
